/*
 * The triage bot's chat widget: rasa-webchat (loaded before this script) plus what a health
 * chat needs on top of it:
 * - an emergency panel with a call button, shown when the bot's custom payload says
 *   {"disposition": "emergency", "emergency_number": "..."};
 * - keyboard and screen-reader access rasa-webchat 1.0.1 lacks: quick replies are divs
 *   with no role or tab stop, the input and send button have no accessible name, and new
 *   messages are not announced;
 * - the copy on this device forgotten when the person erases their data: rasa-webchat keeps
 *   the session handle and the whole transcript in localStorage ("chat_session"); when the
 *   bot's reply says {"conversation_erased": true}, that copy and the emergency number
 *   remembered for this tab are removed, and the chat starts afresh;
 * - the handover summary (issue 16): when the advice's payload carries
 *   {"summary_url": "/summary/<token>"}, links to "Download summary (PDF)" and "Print" (the
 *   printable page), on the server this script came from;
 * - a plain notice when the server refuses a message because too many came too fast
 *   (its `rate_limited` event, bot/channels/rate_limit.py): the bot never saw that message,
 *   so the notice says to wait and send it again, and gives the emergency number.
 * Options come from this script tag's data- attributes (see README, "Embed the widget").
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var data = script ? script.dataset : {};
  var socketUrl = data.socketUrl || window.location.origin;
  var fallbackNumber = data.emergencyNumber || "";

  function target() {
    var selector = data.target;
    return selector ? document.querySelector(selector) : null;
  }

  // --- emergency panel ----------------------------------------------------------------
  function emergencyPanel() {
    var panel = document.getElementById("triage-emergency");
    if (panel) return panel;
    panel = document.createElement("div");
    panel.id = "triage-emergency";
    panel.className = "triage-emergency";
    panel.setAttribute("role", "alert");
    panel.hidden = true;
    var heading = document.createElement("p");
    heading.className = "triage-emergency-text";
    heading.textContent = "The assistant advises emergency care now.";
    var call = document.createElement("a");
    call.className = "triage-call";
    call.id = "triage-call";
    panel.appendChild(heading);
    panel.appendChild(call);
    var host = target();
    if (host && host.parentNode) host.parentNode.insertBefore(panel, host);
    else document.body.insertBefore(panel, document.body.firstChild);
    return panel;
  }

  function showEmergency(number) {
    number = String(number || fallbackNumber).replace(/[^0-9+]/g, "");
    if (!number) return;
    var panel = emergencyPanel();
    var call = panel.querySelector(".triage-call");
    call.href = "tel:" + number;
    call.textContent = "Call " + number + " now";  // textContent: never parsed as markup
    panel.hidden = false;
    try { window.sessionStorage.setItem(EMERGENCY_KEY, number); } catch (e) { /* private mode */ }
    call.focus();
  }

  // --- handover summary ---------------------------------------------------------------
  var SUMMARY_KEY = "triage-summary";  // this script's sessionStorage
  var SUMMARY_PATH = /^\/summary\/[A-Za-z0-9_-]{43}$/;
  var serverOrigin = (function () {
    try { return new URL(script.src).origin; } catch (e) { return window.location.origin; }
  })();

  function showSummary(path) {
    if (typeof path !== "string" || !SUMMARY_PATH.test(path)) return;
    var panel = document.getElementById("triage-summary");
    if (!panel) {
      panel = document.createElement("nav");
      panel.id = "triage-summary";
      panel.className = "triage-summary";
      panel.setAttribute("aria-label", "Summary for your doctor");
      var pdf = document.createElement("a");
      pdf.id = "triage-summary-pdf";
      pdf.textContent = "Download summary (PDF)";
      pdf.setAttribute("download", "back-pain-summary.pdf");
      var print = document.createElement("a");
      print.id = "triage-summary-print";
      print.textContent = "Print";
      print.target = "_blank";
      print.rel = "noopener noreferrer";
      panel.appendChild(pdf);
      panel.appendChild(print);
      var host = target();
      if (host && host.parentNode) host.parentNode.insertBefore(panel, host.nextSibling);
      else document.body.appendChild(panel);
    }
    panel.querySelector("#triage-summary-pdf").href = serverOrigin + path + ".pdf";
    panel.querySelector("#triage-summary-print").href = serverOrigin + path;
    panel.hidden = false;
    try { window.sessionStorage.setItem(SUMMARY_KEY, path); } catch (e) { /* private mode */ }
  }

  function onBotMessage(message) {
    var custom = message && message.custom;
    if (custom && custom.disposition === "emergency") showEmergency(custom.emergency_number);
    if (custom && custom.summary_url) showSummary(custom.summary_url);
    if (custom && custom.conversation_erased === true) onErased();
  }

  // --- what stays on this device ------------------------------------------------------
  var WEBCHAT_KEYS = ["chat_session", "mrbot_next_message"];  // rasa-webchat's localStorage
  var EMERGENCY_KEY = "triage-emergency";                     // this script's sessionStorage
  var ERASED_KEY = "triage-erased";
  var ERASE_RESTART_MS = 4000;  // time to read the bot's confirmation
  var erasing = false;

  function forgetOnThisDevice() {
    try {
      WEBCHAT_KEYS.forEach(function (key) { window.localStorage.removeItem(key); });
    } catch (e) { /* storage disabled */ }
    try { window.sessionStorage.removeItem(EMERGENCY_KEY); } catch (e) { /* */ }
    try { window.sessionStorage.removeItem(SUMMARY_KEY); } catch (e) { /* */ }
  }

  function onErased() {
    if (erasing) return;
    erasing = true;
    forgetOnThisDevice();
    var panel = document.getElementById("triage-emergency");
    if (panel) panel.hidden = true;
    var summaryLinks = document.getElementById("triage-summary");
    if (summaryLinks) summaryLinks.hidden = true;
    try { window.sessionStorage.setItem(ERASED_KEY, "1"); } catch (e) { /* */ }
    // rasa-webchat writes the transcript back with every message it shows: clear it again,
    // then start a fresh widget (new session, empty history).
    window.setTimeout(function () {
      forgetOnThisDevice();
      window.location.reload();
    }, ERASE_RESTART_MS);
  }

  function noticeAfterErasure() {
    var erased = null;
    try { erased = window.sessionStorage.getItem(ERASED_KEY); } catch (e) { /* */ }
    if (!erased) return;
    forgetOnThisDevice();  // anything written while the page was going away
    try { window.sessionStorage.removeItem(ERASED_KEY); } catch (e) { /* */ }
    var notice = document.createElement("p");
    notice.id = "triage-erased";
    notice.className = "triage-erased";
    notice.setAttribute("role", "status");
    notice.textContent = "Your conversation was deleted, on our side and from this browser. " +
      "This is a new conversation.";
    var host = target();
    if (host && host.parentNode) host.parentNode.insertBefore(notice, host);
    else document.body.insertBefore(notice, document.body.firstChild);
  }

  // --- too many messages ----------------------------------------------------------------
  var RATE_NOTICE_MIN_MS = 4000;
  var rateNoticeTimer = null;

  function onRateLimited(info) {
    var seconds = Math.max(1, Math.min(120, Number(info && info.retry_after) || 5));
    var notice = document.getElementById("triage-rate-limited");
    if (!notice) {
      notice = document.createElement("p");
      notice.id = "triage-rate-limited";
      notice.className = "triage-erased triage-rate-limited";
      notice.setAttribute("role", "status");
      notice.setAttribute("aria-live", "polite");
      var host = target();
      if (host && host.parentNode) host.parentNode.insertBefore(notice, host);
      else document.body.insertBefore(notice, document.body.firstChild);
    }
    var number = String(fallbackNumber).replace(/[^0-9+]/g, "");
    notice.textContent = "That was a lot of messages at once, so your last one did not reach " +
      "the guide. Please wait " + seconds + (seconds === 1 ? " second" : " seconds") +
      " and send it again." + (number ? " In an emergency, call " + number + " now." : "");
    notice.hidden = false;
    window.clearTimeout(rateNoticeTimer);
    rateNoticeTimer = window.setTimeout(function () { notice.hidden = true; },
                                        Math.max(RATE_NOTICE_MIN_MS, seconds * 1000 + 2000));
  }

  // --- accessibility ------------------------------------------------------------------
  function labelOnce(node, label) {
    if (node && !node.getAttribute("aria-label")) node.setAttribute("aria-label", label);
  }

  function pressOnEnterOrSpace(event) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.currentTarget.click();
    }
  }

  function improve(root) {
    labelOnce(root.querySelector(".rw-new-message"), "Your message");
    labelOnce(root.querySelector(".rw-send"), "Send");
    labelOnce(root.querySelector(".rw-launcher"), "Open the back-pain chat");
    labelOnce(root.querySelector(".rw-close-button"), "Close the chat");
    var log = root.querySelector(".rw-messages-container");
    if (log && !log.getAttribute("role")) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      log.setAttribute("aria-label", "Conversation");
    }
    var replies = root.querySelectorAll(".rw-reply:not([data-a11y])");
    for (var i = 0; i < replies.length; i++) {
      var reply = replies[i];
      reply.setAttribute("data-a11y", "1");
      if (reply.tagName !== "A" && reply.tagName !== "BUTTON") {
        reply.setAttribute("role", "button");
        reply.setAttribute("tabindex", "0");
        reply.addEventListener("keydown", pressOnEnterOrSpace);
      }
    }
  }

  function watch(root) {
    improve(root);
    new MutationObserver(function () { improve(root); })
      .observe(root, { childList: true, subtree: true });
  }

  // --- start --------------------------------------------------------------------------
  function start() {
    var host = target();
    noticeAfterErasure();
    var remembered = null;
    try { remembered = window.sessionStorage.getItem(EMERGENCY_KEY); } catch (e) { /* */ }
    if (remembered) showEmergency(remembered);
    var summaryPath = null;
    try { summaryPath = window.sessionStorage.getItem(SUMMARY_KEY); } catch (e) { /* */ }
    if (summaryPath) showSummary(summaryPath);
    window.WebChat.default({
      socketUrl: socketUrl,
      initPayload: "/greet",
      title: "Back pain guide",
      subtitle: "Not for emergencies",
      inputTextFieldHint: "Describe your back pain…",
      embedded: Boolean(host),
      showFullScreenButton: false,
      hideWhenNotConnected: false,
      params: { storage: "local" },
      customMessageDelay: function () { return 300; },
      onSocketEvent: { bot_uttered: onBotMessage, rate_limited: onRateLimited }
    }, host);
    watch(host || document.body);
  }

  if (!window.WebChat || !window.WebChat.default) {
    throw new Error("triage-widget.js: load rasa-webchat.js first (see README)");
  }
  start();
})();
