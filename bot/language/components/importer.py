"""The training data importer named in config.yml (`importers`): Rasa's own file importer,
unchanged. It is there so that bot.rasa_patches.training is installed in every Rasa command
that reads this project's training data (rasa train, rasa test, rasa data validate), before
Rasa reads anything: Rasa imports the importers first, and the NLU components only after it
has already read the domain and the NLU data.

If this module failed to import, Rasa would only log "Importer ... not found" and go on with
its default importer, without the patches: tests/unit/test_rasa_training_patches.py loads
config.yml's importers as Rasa does and checks that the patches are in place.
"""
from rasa.shared.importers.rasa import RasaFileImporter

from bot.language.build import ANNOTATING_PIPES
from bot.rasa_patches import training

training.install()
training.read_training_data_without_spacy_pipes(ANNOTATING_PIPES)


class ProjectImporter(RasaFileImporter):
    """RasaFileImporter, with bot.rasa_patches.training installed."""
