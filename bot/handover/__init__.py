"""The handover summary (issue 16): what the person reported and the advice, to show a clinician.

`summary` builds the sections from stored facts and the wording in data/summary/, and renders
them as chat text, a printable HTML page and a PDF. Pure rendering: no database, no Rasa.
"""
