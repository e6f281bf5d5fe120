/*
 * Council web chat widget. Add to any page with a config object and ONE script tag:
 *
 *   <script>window.CouncilChatConfig = { socketUrl: "https://chat.example.gov.uk" };</script>
 *   <script src="https://chat.example.gov.uk/chat/widget.js" defer></script>
 *
 * Options (all optional except socketUrl):
 *   socketUrl       where the Rasa server's socket.io endpoint is (bot/channels/web.py)
 *   uploadUrl       photo upload endpoint (default: <this script's folder>/uploads)
 *   councilName     shown in the panel title
 *   privacyUrl      privacy notice linked at the start of every chat
 *   maxPhotoBytes   checked here for a quick answer; the server checks again
 *   token / getToken()  a JWT (or a function returning one, or a promise of one)
 *                   when the server requires signed sessions (WEB_CHAT_JWT_SECRET)
 *   greeting        sent (not shown) when a chat starts, so the assistant says hello; not sent when
 *                   the resident wrote before the chat connected (their message is answered instead)
 *   idleMinutes, idleWarningSeconds  inactivity timeout and its warning
 *   resendSeconds   how long to wait for the server to acknowledge a message before sending it again (45)
 *   storage         "session" (default: this tab, survives reloads and page changes) or "local"
 *   launcherText    the launcher button's label (default: the catalogue's, in the chat's language)
 *   languages       the languages the council serves (COUNCIL_LANGUAGES, e.g. ["cy", "en"], the first
 *                   the default); with two or more the panel has a button to change language
 *
 * Theme with CSS custom properties on the page, e.g.
 *   :root { --council-chat-primary: #00703c; --council-chat-on-primary: #fff; }
 * (see widget.css for the full list).
 *
 * The widget's own words come from the council's message catalogue (bot/messages/catalogue.yml,
 * widget.*), per language, as window.CouncilChatLabels, which the server puts before this script
 * (bot/web/app.py); t(key, values) reads them in the conversation's language.
 *
 * Every message the widget sends has its own random id (message_id) and is kept until the server
 * acknowledges it (when its turn is over); after a reconnect, or a long wait with no acknowledgement,
 * it is sent again with the same id, at most MAX_SENDS times in all, and the resident is told if it
 * never went. The server answers an id it has seen from the record, once (bot/channels/web.py); an
 * answer that comes twice (reply_to and part the same) is shown once.
 *
 * Everything said by the assistant or the resident is rendered as text
 * (textContent, never innerHTML), links only for http(s) URLs.
 * Emits "councilchat:ready" on window once the launcher can be used.
 */
(function () {
  "use strict";
  if (window.__councilChatLoaded) return;
  window.__councilChatLoaded = true;

  var script = document.currentScript;
  var base = new URL(".", script ? script.src : window.location.href).href; // .../chat/
  var userConfig = window.CouncilChatConfig || {};
  var config = {
    socketUrl: userConfig.socketUrl || window.location.origin,
    uploadUrl: userConfig.uploadUrl || base + "uploads",
    councilName: userConfig.councilName || "", // "": the catalogue's widget.council ("the council")
    privacyUrl: userConfig.privacyUrl || "",
    maxPhotoBytes: userConfig.maxPhotoBytes || 10 * 1024 * 1024,
    token: userConfig.token || null,
    getToken: typeof userConfig.getToken === "function" ? userConfig.getToken : null,
    greeting: userConfig.greeting, // undefined: the catalogue's greeting, in the chat's language
    idleMinutes: userConfig.idleMinutes || 30,
    idleWarningSeconds: userConfig.idleWarningSeconds || 120,
    resendSeconds: userConfig.resendSeconds || 45,
    storage: userConfig.storage === "local" ? "local" : "session",
    launcherText: userConfig.launcherText || "",
    talkToPersonPayload: userConfig.talkToPersonPayload || "",
    languages: (Array.isArray(userConfig.languages) ? userConfig.languages : [])
      .filter(function (code) { return typeof code === "string" && /^[a-z]{2}$/.test(code); }),
  };
  // The widget's words per language (widget.<key> in the catalogue -> LABELS[language][key]).
  var LABELS = window.CouncilChatLabels || {};
  // Each language's name in itself (the toggle offers the other one by its own name).
  var LANGUAGE_NAMES = { cy: "Cymraeg", en: "English" };
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var STORAGE_KEY = "council-chat:v1";
  var REPLY_WAIT_MS = 20000;
  // A message not acknowledged in config.resendSeconds is sent again (not much less than 45 s: a turn
  // waiting for a stopped replica's conversation lock waits up to its lifetime, 60 s by default).
  var MAX_SENDS = 4; // the first time and three more, then the resident is told it was not sent
  var ANSWERS_KEPT = 200; // reply_to#part of the latest answers shown, to show an answer sent again once

  // ----- persisted state -------------------------------------------------------
  var store = (function () {
    try {
      var s = config.storage === "local" ? window.localStorage : window.sessionStorage;
      s.setItem(STORAGE_KEY + ":probe", "1");
      s.removeItem(STORAGE_KEY + ":probe");
      return s;
    } catch (e) {
      return null; // storage blocked: the chat still works, just not across reloads
    }
  })();

  function emptyState() {
    // lastSeq: the highest seq of the assistant's messages shown (the server replays what came after it).
    // language: the conversation's, as the server last said (or the resident last chose).
    // pending: messages the server has not acknowledged yet ({id, payload, sends, display}).
    // answered: "reply_to#part" of the answers shown (an answer sent again is shown once).
    return { sessionId: null, lastSeq: null, messages: [], open: false, ended: false, language: null,
      pending: [], answered: [] };
  }

  function loadState() {
    if (!store) return emptyState();
    try {
      var parsed = JSON.parse(store.getItem(STORAGE_KEY) || "null");
      if (parsed && Array.isArray(parsed.messages)) {
        var loaded = Object.assign(emptyState(), parsed);
        if (!Array.isArray(loaded.pending)) loaded.pending = [];
        if (!Array.isArray(loaded.answered)) loaded.answered = [];
        return loaded;
      }
    } catch (e) { /* corrupt: start again */ }
    return emptyState();
  }

  function saveState() {
    if (!store) return;
    try { store.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* full: keep going */ }
  }

  var state = loadState();

  // ----- DOM helpers -----------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function isWebUrl(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:";
    } catch (e) {
      return false;
    }
  }

  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

  // Text with web addresses turned into links; every piece is a text node.
  function richText(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    String(text).replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(/[.,;:!?)]+$/, "");
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      if (isWebUrl(url)) {
        fragment.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [
          url, el("span", { className: "cc-visually-hidden", text: t("new_tab") }),
        ]));
      } else {
        fragment.appendChild(document.createTextNode(url));
      }
      last = offset + url.length;
      return match;
    });
    fragment.appendChild(document.createTextNode(String(text).slice(last)));
    return fragment;
  }

  function clock(iso) {
    var date = new Date(iso);
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  // ----- the widget's DOM (in a shadow root, so the host page's CSS can't break it) ---
  var host = el("div", { id: "council-chat", "data-ready": "false" });
  var root = host.attachShadow({ mode: "open" });
  var ui = {};

  function build() {
    root.appendChild(el("link", { rel: "stylesheet", href: base + "widget.css" }));
    ui.launcherLabel = el("span");
    ui.launcher = el("button", {
      type: "button", className: "cc-launcher", "aria-expanded": "false", "aria-controls": "cc-panel",
      onclick: function () { openPanel(); },
    }, [el("span", { className: "cc-launcher-icon", "aria-hidden": "true", text: "\u2709" }), ui.launcherLabel]);

    ui.title = el("h2", { id: "cc-title", className: "cc-title" });
    ui.close = el("button", {
      type: "button", className: "cc-icon-button",
      onclick: function () { closePanel(); },
    }, [el("span", { "aria-hidden": "true", text: "\u2715" })]);

    ui.person = el("button", { type: "button", className: "cc-tool",
      onclick: function () { send(config.talkToPersonPayload || t("person_says"), { display: t("person") }); } });
    ui.save = el("button", { type: "button", className: "cc-tool", onclick: saveTranscript });
    ui.end = el("button", { type: "button", className: "cc-tool", onclick: askToEnd });
    ui.language = el("button", { type: "button", className: "cc-tool cc-language", onclick: changeLanguage,
      hidden: config.languages.length < 2 });

    ui.status = el("p", { className: "cc-status", role: "status" });
    ui.alert = el("div", { className: "cc-alert", role: "alert" });
    ui.log = el("div", {
      className: "cc-log", role: "log", "aria-live": "polite", "aria-labelledby": "cc-log-label", tabindex: "0",
    });
    ui.typingLabel = el("span");
    ui.typing = el("div", { className: "cc-typing", hidden: true }, [
      el("span", { className: "cc-dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]),
      ui.typingLabel,
    ]);
    ui.prompt = el("div", { className: "cc-prompt", hidden: true });
    ui.attachments = el("div", { className: "cc-attachments", hidden: true });

    ui.photoInput = el("input", {
      type: "file", accept: PHOTO_TYPES.join(","), className: "cc-visually-hidden", tabindex: "-1",
      "aria-hidden": "true", onchange: onPhotoChosen,
    });
    ui.photo = el("button", { type: "button", className: "cc-tool",
      onclick: function () { ui.photoInput.click(); } });
    ui.location = el("button", { type: "button", className: "cc-tool", onclick: askForLocation });

    ui.input = el("textarea", { id: "cc-input", className: "cc-input", rows: "2", autocomplete: "off",
      "aria-describedby": "cc-input-hint", onkeydown: onInputKey });
    ui.send = el("button", { type: "submit", className: "cc-send" });
    ui.inputLabel = el("label", { for: "cc-input", className: "cc-label" });
    ui.inputHint = el("p", { id: "cc-input-hint", className: "cc-hint" });
    ui.form = el("form", { className: "cc-compose", onsubmit: function (event) { event.preventDefault(); sendTyped(); } }, [
      ui.inputLabel,
      ui.inputHint,
      el("div", { className: "cc-compose-row" }, [ui.input, ui.send]),
    ]);
    ui.restart = el("button", { type: "button", className: "cc-primary-button", hidden: true,
      onclick: startNewChat });
    ui.logLabel = el("h3", { id: "cc-log-label", className: "cc-visually-hidden" });

    ui.panel = el("section", {
      id: "cc-panel", className: "cc-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "cc-title",
      hidden: true, onkeydown: onPanelKey,
    }, [
      el("div", { className: "cc-header" }, [ui.title, ui.close]),
      el("div", { className: "cc-toolbar" }, [ui.person, ui.save, ui.end, ui.language]),
      ui.logLabel,
      ui.log,
      ui.typing,
      ui.status,
      ui.alert,
      ui.prompt,
      ui.attachments,
      el("div", { className: "cc-footer" }, [
        el("div", { className: "cc-extras" }, [ui.photo, ui.location, ui.photoInput]),
        ui.form,
        ui.restart,
      ]),
    ]);
    root.appendChild(ui.launcher);
    root.appendChild(ui.panel);
    document.body.appendChild(host);
    showLanguage();
  }

  // ----- the conversation's language ---------------------------------------------------
  function currentLanguage() {
    return state.language || config.languages[0] || document.documentElement.lang || "en";
  }

  function otherLanguage() {
    if (config.languages.length < 2) return null;
    return config.languages[(config.languages.indexOf(currentLanguage()) + 1) % config.languages.length];
  }

  // The panel's lang is the conversation's; the toggle names the other language in that language.
  function showLanguage() {
    ui.panel.setAttribute("lang", currentLanguage());
    relabel();
    var other = otherLanguage();
    if (!other) return;
    ui.language.textContent = (LABELS[other] && LABELS[other].language_name) || LANGUAGE_NAMES[other] || other;
    ui.language.setAttribute("lang", other);
  }

  function changeLanguage() {
    var other = otherLanguage();
    if (!other) return;
    state.language = other;
    saveState();
    showLanguage();
    // The server reads the metadata as the resident's choice (bot/language/rasa_hook.py); the
    // text is what the resident sees they said, and what they could have typed.
    send(LANGUAGE_NAMES[other] || other, { metadata: { language: other }, lang: other });
  }

  // A word of the widget's in the chat's language (else the council's first, else English), its
  // {placeholders} filled from values ({council_name} from the config).
  function t(key, values) {
    var words = LABELS[currentLanguage()] || LABELS[config.languages[0]] || LABELS.en || {};
    var text = typeof words[key] === "string" ? words[key] : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      if (values && values[name] !== undefined) return String(values[name]);
      if (name !== "council_name") return all;
      return config.councilName || (typeof words.council === "string" ? words.council : "");
    });
  }

  // The panel's fixed words, again in the chat's language (after a change of language).
  function relabel() {
    ui.launcherLabel.textContent = config.launcherText || t("launcher");
    ui.launcher.setAttribute("lang", currentLanguage());
    ui.title.textContent = t("title");
    ui.close.setAttribute("aria-label", t("close"));
    ui.person.textContent = t("person");
    ui.save.textContent = t("save");
    ui.end.textContent = t("end");
    ui.typingLabel.textContent = t("typing");
    ui.photo.textContent = t("add_photo");
    ui.location.textContent = t("share_location");
    ui.send.textContent = t("send");
    ui.inputLabel.textContent = t("input_label");
    ui.inputHint.textContent = t("input_hint");
    ui.restart.textContent = t("restart");
    ui.logLabel.textContent = t("log_label");
  }

  // ----- rendering messages --------------------------------------------------------
  function renderMessage(message) {
    var who = message.who === "me" ? t("you") : message.who === "bot" ? (message.sender || t("assistant")) : "";
    var item = el("div", { className: "cc-message cc-from-" + message.who + (message.sender ? " cc-from-staff" : "") });
    if (message.lang) item.setAttribute("lang", message.lang);
    if (who) {
      item.appendChild(el("p", { className: "cc-meta" }, [
        el("span", { className: "cc-sender", text: who }), " ",
        el("time", { datetime: message.time, text: clock(message.time) }),
      ]));
    }
    var bubble = el("div", { className: "cc-bubble" });
    if (message.intro) {
      bubble.appendChild(document.createTextNode(message.text + " "));
      // The notice in the chat's language: widget.privacy_url ("{privacy_url}", or the Welsh notice's address).
      var privacyUrl = config.privacyUrl ? t("privacy_url", { privacy_url: config.privacyUrl }) : "";
      if (privacyUrl && isWebUrl(privacyUrl)) {
        bubble.appendChild(el("a", { href: privacyUrl, target: "_blank", rel: "noopener noreferrer" }, [
          t("privacy_link"), el("span", { className: "cc-visually-hidden", text: t("new_tab") }),
        ]));
        bubble.appendChild(document.createTextNode("."));
      }
    } else if (message.text) {
      bubble.appendChild(richText(message.text));
    }
    (message.images || []).forEach(function (image) {
      if (!isWebUrl(image.src)) return;
      bubble.appendChild(el("img", { src: image.src, alt: image.alt || t("image"), className: "cc-image", loading: "lazy" }));
    });
    if (bubble.childNodes.length) item.appendChild(bubble);
    return item;
  }

  function renderQuickReplies(message) {
    var group = el("div", { className: "cc-quick", role: "group", "aria-label": t("suggested_replies") });
    message.quick.forEach(function (reply) {
      group.appendChild(el("button", { type: "button", className: "cc-quick-reply", text: reply.title,
        onclick: function () { send(reply.payload, { display: reply.title, fromQuickReply: true }); } }));
    });
    return group;
  }

  function showQuickReplies() {
    var old = ui.log.querySelector(".cc-quick");
    if (old) old.remove();
    var last = state.messages[state.messages.length - 1];
    if (last && last.who === "bot" && last.quick && last.quick.length && !state.ended) {
      ui.log.appendChild(renderQuickReplies(last));
    }
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    var quick = ui.log.querySelector(".cc-quick");
    if (quick) quick.remove();
    ui.log.appendChild(renderMessage(message));
    showQuickReplies();
    scrollToEnd();
  }

  function note(text) {
    addMessage({ who: "note", text: text, time: new Date().toISOString() });
  }

  function renderAll() {
    ui.log.setAttribute("aria-busy", "true");
    ui.log.textContent = "";
    state.messages.forEach(function (message) { ui.log.appendChild(renderMessage(message)); });
    showQuickReplies();
    ui.log.setAttribute("aria-busy", "false");
    scrollToEnd();
  }

  // A bot_uttered event, as Rasa's socket.io output channel sends it.
  function fromBot(data) {
    if (!data || typeof data !== "object") return null;
    var message = { who: "bot", text: typeof data.text === "string" ? data.text : "", time: new Date().toISOString() };
    // Staff speaking: the server names the team (COUNCIL_TEAM_NAME); shown as text, never as HTML.
    if (typeof data.sender === "string" && data.sender) message.sender = data.sender.slice(0, 60);
    // The language the server wrote it in (bot/channels/web.py), for screen readers.
    if (typeof data.lang === "string" && /^[a-z]{2}$/.test(data.lang)) message.lang = data.lang;
    if (Array.isArray(data.quick_replies)) {
      message.quick = data.quick_replies.filter(function (r) { return r && typeof r.title === "string"; })
        .map(function (r) { return { title: r.title, payload: typeof r.payload === "string" ? r.payload : r.title }; });
    }
    var attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload && typeof attachment.payload.src === "string") {
      message.images = [{ src: attachment.payload.src, alt: t("image_from_assistant") }];
    }
    if (!message.text && !message.images && !(message.quick && message.quick.length)) return null;
    return message;
  }

  // ----- connection ------------------------------------------------------------------
  var socket = null;
  var confirmed = false;
  var replyTimer = null;
  var ackTimers = {}; // message id -> its timer for sending again

  function loadSocketIo(callback) {
    if (window.io) return callback();
    var tag = el("script", { src: base + "vendor/socket.io.min.js", async: true });
    tag.onload = callback;
    tag.onerror = function () { setStatus(t("cannot_load")); };
    document.head.appendChild(tag);
  }

  function authFor(callback) {
    if (config.getToken) {
      Promise.resolve(config.getToken()).then(function (token) { callback({ token: token }); },
        function () { callback({}); });
    } else {
      callback(config.token ? { token: config.token } : {});
    }
  }

  function connect() {
    if (socket) return;
    loadSocketIo(function () {
      if (socket) return;
      socket = window.io(config.socketUrl, {
        auth: authFor, reconnection: true, reconnectionDelay: 500, reconnectionDelayMax: 8000,
      });
      socket.on("connect", function () {
        var request = { session_id: state.sessionId };
        if (typeof state.lastSeq === "number") request.last_seq = state.lastSeq; // replay what we missed
        socket.emit("session_request", request);
      });
      socket.on("session_confirm", function (sessionId) {
        var starting = !state.sessionId || state.sessionId !== sessionId;
        if (starting) {
          // A new chat has shown nothing yet; a signed-in resident's chat may have started on another device.
          state.lastSeq = !state.sessionId && !config.token && !config.getToken ? 0 : null;
        }
        state.sessionId = sessionId;
        confirmed = true;
        saveState();
        setStatus("");
        // Whatever was not acknowledged goes (again), the same id each time: sent before the connection
        // dropped, or queued while it was down, or before a reload.
        state.pending.slice().forEach(function (entry) { transmit(entry); });
        var greeting = config.greeting === undefined ? t("greeting_says") : config.greeting;
        // Not once the resident has said something: sent after their message, the greeting reached the bot
        // as the answer to its first question ("helo" became the address of a missed bin).
        if (starting && !state.messages.some(function (m) { return m.who === "bot" || m.who === "me"; }) &&
            greeting) {
          emitMessage(greeting, {});
        }
      });
      socket.on("bot_uttered", function (data) {
        if (data && typeof data.seq === "number") {
          // Already shown (replayed after a reconnect, or sent to two tabs): once is enough.
          if (typeof state.lastSeq === "number" && data.seq <= state.lastSeq) return;
          state.lastSeq = data.seq;
        }
        if (data && typeof data.reply_to === "string" && typeof data.part === "number") {
          // An answer to a message sent again is sent again, with a new seq: shown once.
          var key = data.reply_to + "#" + data.part;
          if (state.answered.indexOf(key) >= 0) return saveState();
          state.answered.push(key);
          if (state.answered.length > ANSWERS_KEPT) state.answered.splice(0, state.answered.length - ANSWERS_KEPT);
        }
        var message = fromBot(data);
        if (!message) return saveState();
        stopWaiting();
        if (state.withStaff && !message.sender) { // the assistant speaks again: staff handed back
          state.withStaff = false;
          showPersonButton();
        }
        if (message.lang && message.lang !== state.language) {
          state.language = message.lang;
          showLanguage();
        }
        addMessage(message);
        touch();
      });
      socket.on("chat_error", function () {
        stopWaiting();
        note(t("chat_error"));
      });
      socket.on("disconnect", function () {
        confirmed = false;
        if (!state.ended) setStatus(t("reconnecting"));
      });
      socket.on("connect_error", function () {
        confirmed = false;
        setStatus(t("cannot_connect"));
      });
    });
  }

  // A random id nobody can guess (another conversation's ids are never needed, but not guessable either).
  function newMessageId() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // display: what the resident saw they said (nothing for the hidden greeting).
  function emitMessage(text, metadata, display) {
    var payload = { message: text, session_id: state.sessionId, metadata: metadata || {}, message_id: newMessageId() };
    var entry = { id: payload.message_id, payload: payload, sends: 0, display: display || "" };
    state.pending.push(entry);
    saveState();
    transmit(entry); // now if connected, else once the session is confirmed again
    startWaiting();
  }

  function findPending(id) {
    for (var i = 0; i < state.pending.length; i++) if (state.pending[i].id === id) return state.pending[i];
    return null;
  }

  function forgetPending(id) {
    clearTimeout(ackTimers[id]);
    delete ackTimers[id];
    state.pending = state.pending.filter(function (entry) { return entry.id !== id; });
    saveState();
  }

  // Send a pending message (again), if the session is confirmed: while the socket is down, socket.io
  // would buffer it and send it on reconnect, and the session_confirm handler sends it as well.
  function transmit(entry) {
    entry = findPending(entry.id); // the one in state (answered or the chat ended: none)
    if (!entry || !(socket && socket.connected && confirmed)) return;
    if (entry.sends >= MAX_SENDS) return notSent(entry);
    entry.sends += 1;
    entry.payload.session_id = state.sessionId;
    saveState();
    clearTimeout(ackTimers[entry.id]);
    // The acknowledgement comes when the turn is over, whichever send got there; the answers
    // themselves come as bot_uttered.
    var id = entry.id;
    socket.emit("user_uttered", entry.payload, function (ack) {
      forgetPending(id);
      if (ack && ack.with_staff) withStaff();
    });
    ackTimers[id] = setTimeout(function () {
      var waiting = findPending(id);
      if (!waiting) return;
      if (waiting.sends >= MAX_SENDS) notSent(waiting);
      else transmit(waiting); // disconnected: session_confirm sends it
    }, config.resendSeconds * 1000);
  }

  function notSent(entry) {
    forgetPending(entry.id);
    if (state.ended) return;
    stopWaiting();
    if (entry.display) note(t("not_sent", { message: entry.display }));
  }

  function startWaiting() {
    ui.typing.hidden = false;
    clearTimeout(replyTimer);
    replyTimer = setTimeout(function () {
      ui.typing.hidden = true;
      setStatus(t("slow_reply"));
    }, REPLY_WAIT_MS);
  }

  function stopWaiting() {
    clearTimeout(replyTimer);
    ui.typing.hidden = true;
    if (ui.status.textContent === t("slow_reply") || ui.status.textContent === t("with_staff")) setStatus("");
  }

  // The conversation is with staff (the server's acknowledgement says so): the bot will not
  // answer, a person will. Say that, and grey out "talk to a person" until the bot is back.
  function withStaff() {
    stopWaiting();
    setStatus(t("with_staff"));
    state.withStaff = true;
    showPersonButton();
    saveState(); // a reload keeps it
  }

  function showPersonButton() {
    ui.person.disabled = state.ended || !!state.withStaff;
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  // ----- sending ---------------------------------------------------------------------
  var pendingPhotos = [];

  function send(text, options) {
    options = options || {};
    if (state.ended) return;
    var metadata = Object.assign({}, options.metadata || {});
    var photos = pendingPhotos.slice();
    if (photos.length) metadata.uploads = photos.map(function (p) { return p.id; });
    var display = options.display !== undefined ? options.display : text;
    if (!display && !photos.length) return;
    addMessage({
      who: "me", text: display, time: new Date().toISOString(), lang: options.lang,
      images: photos.map(function (p) { return { src: p.url, alt: t("your_photo", { name: p.name }) }; }),
    });
    pendingPhotos = [];
    renderAttachments();
    connect();
    emitMessage(text, metadata, display || (photos.length ? t("your_photo", { name: photos[0].name }) : ""));
    touch();
    if (options.fromQuickReply) ui.input.focus(); // the clicked button is gone; keep focus in the chat
  }

  function sendTyped() {
    var text = ui.input.value.trim();
    if (!text && !pendingPhotos.length) {
      setStatus(t("type_first"));
      ui.input.focus();
      return;
    }
    ui.input.value = "";
    send(text);
    ui.input.focus();
  }

  function onInputKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendTyped();
    }
  }

  // ----- photos ----------------------------------------------------------------------
  function onPhotoChosen() {
    var file = ui.photoInput.files && ui.photoInput.files[0];
    ui.photoInput.value = "";
    if (!file) return;
    if (PHOTO_TYPES.indexOf(file.type) < 0) {
      setStatus(t("photo_type"));
      return;
    }
    if (file.size > config.maxPhotoBytes) {
      setStatus(t("photo_too_large", { max_mb: Math.floor(config.maxPhotoBytes / 1048576) }));
      return;
    }
    setStatus(t("uploading"));
    // ?lang: the server's refusals come back in the chat's language.
    var uploadUrl = config.uploadUrl + (config.uploadUrl.indexOf("?") < 0 ? "?" : "&") + "lang=" +
      encodeURIComponent(currentLanguage());
    fetch(uploadUrl, { method: "POST", body: file, headers: { "Content-Type": file.type } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok || !body.id) throw new Error(body.error || t("upload_failed"));
          return body;
        });
      })
      .then(function (body) {
        pendingPhotos.push({ id: body.id, url: body.url, name: file.name });
        renderAttachments();
        setStatus(t("photo_added"));
        ui.input.focus();
      }, function (error) {
        setStatus(error.message || t("upload_failed_retry"));
      });
  }

  function renderAttachments() {
    ui.attachments.textContent = "";
    ui.attachments.hidden = pendingPhotos.length === 0;
    pendingPhotos.forEach(function (photo, index) {
      ui.attachments.appendChild(el("div", { className: "cc-attachment" }, [
        el("img", { src: photo.url, alt: "", className: "cc-thumb" }),
        el("span", { text: t("photo_ready", { name: photo.name }) }),
        el("button", { type: "button", className: "cc-tool", text: t("remove_photo"),
          "aria-label": t("remove_named_photo", { name: photo.name }),
          onclick: function () { pendingPhotos.splice(index, 1); renderAttachments(); ui.input.focus(); } }),
      ]));
    });
  }

  // ----- location (explicit prompt first, then the browser's own) -------------------
  function askForLocation() {
    if (!navigator.geolocation) {
      setStatus(t("no_geolocation"));
      return;
    }
    showPrompt(
      t("location_prompt"),
      [
        { text: t("location_now"), primary: true, action: shareLocation },
        { text: t("not_now"), action: function () { hidePrompt(ui.location); } },
      ]
    );
  }

  function shareLocation() {
    hidePrompt(ui.input);
    setStatus(t("finding_location"));
    navigator.geolocation.getCurrentPosition(function (position) {
      var latitude = position.coords.latitude, longitude = position.coords.longitude;
      setStatus("");
      send("", {
        display: t("shared_location", { latitude: latitude.toFixed(5), longitude: longitude.toFixed(5) }),
        metadata: { location: { latitude: latitude, longitude: longitude } },
      });
    }, function () {
      setStatus(t("location_failed"));
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  // A small inline question with buttons; focus moves into it and back afterwards.
  function showPrompt(text, choices) {
    ui.prompt.textContent = "";
    ui.prompt.appendChild(el("p", { id: "cc-prompt-text", text: text }));
    var row = el("div", { className: "cc-prompt-actions" });
    choices.forEach(function (choice) {
      row.appendChild(el("button", { type: "button", className: choice.primary ? "cc-primary-button" : "cc-tool",
        text: choice.text, onclick: choice.action }));
    });
    ui.prompt.appendChild(row);
    ui.prompt.setAttribute("role", "group");
    ui.prompt.setAttribute("aria-labelledby", "cc-prompt-text");
    ui.prompt.hidden = false;
    row.firstChild.focus();
  }

  function hidePrompt(focusTarget) {
    ui.prompt.hidden = true;
    ui.prompt.textContent = "";
    if (focusTarget) focusTarget.focus();
  }

  // ----- transcript, ending, timeouts ---------------------------------------------
  function transcriptText() {
    var lines = [t("transcript_title"), t("transcript_saved_at", { date: new Date().toString() }), ""];
    state.messages.forEach(function (m) {
      if (m.intro) return;
      var who = m.who === "me" ? t("you") : m.who === "bot" ? (m.sender || t("assistant")) : t("note");
      var text = m.text || "";
      (m.images || []).forEach(function (image) { text += (text ? " " : "") + t("transcript_image", { src: image.src }); });
      lines.push("[" + clock(m.time) + "] " + who + ": " + text);
      if (m.quick && m.quick.length) lines.push("    " + t("transcript_options", { options: m.quick.map(function (q) { return q.title; }).join(" | ") }));
    });
    return lines.join("\n") + "\n";
  }

  function saveTranscript() {
    var blob = new Blob([transcriptText()], { type: "text/plain;charset=utf-8" });
    var link = el("a", { href: URL.createObjectURL(blob), download: "chat-transcript-" + new Date().toISOString().slice(0, 10) + ".txt" });
    root.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
    setStatus(t("transcript_saved"));
  }

  function askToEnd() {
    showPrompt(t("end_prompt"), [
      { text: t("end_yes"), primary: true, action: function () { hidePrompt(); endChat(t("you_ended")); } },
      { text: t("save"), action: saveTranscript },
      { text: t("keep_chatting"), action: function () { hidePrompt(ui.input); } },
    ]);
  }

  function endChat(reason) {
    clearIdle();
    hideAlert();
    stopWaiting();
    note(t("ended", { reason: reason }));
    state.ended = true;
    pendingPhotos = [];
    state.pending.forEach(function (entry) { clearTimeout(ackTimers[entry.id]); });
    state.pending = [];
    renderAttachments();
    saveState();
    if (socket) { socket.disconnect(); socket = null; }
    confirmed = false;
    setStatus("");
    showEnded();
    ui.restart.focus();
  }

  function showEnded() {
    ui.form.hidden = state.ended;
    ui.photo.disabled = ui.location.disabled = ui.end.disabled = state.ended;
    showPersonButton();
    ui.restart.hidden = !state.ended;
    showQuickReplies();
  }

  function startNewChat() {
    state = emptyState();
    state.open = true;
    saveState();
    renderAll();
    showEnded();
    introduce();
    connect();
    ui.input.focus();
  }

  var idleTimer = null, idleWarningTimer = null, idleCountdown = null;

  function clearIdle() {
    clearTimeout(idleTimer); clearTimeout(idleWarningTimer); clearInterval(idleCountdown);
  }

  // Any activity restarts the inactivity clock (only while the panel is open).
  function touch() {
    clearIdle();
    if (!state.open || state.ended || !state.messages.some(function (m) { return m.who === "me"; })) return;
    var total = config.idleMinutes * 60 * 1000;
    var warning = Math.min(config.idleWarningSeconds * 1000, total);
    idleWarningTimer = setTimeout(showIdleWarning, total - warning);
    idleTimer = setTimeout(function () { endChat(t("idle_ended")); }, total);
  }

  function showIdleWarning() {
    var ends = Date.now() + config.idleWarningSeconds * 1000;
    ui.alert.textContent = "";
    var text = el("p", { text: "" });
    function update() {
      var seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      var time = minutes ? t(minutes > 1 ? "minutes" : "minute", { count: minutes }) : t("seconds", { count: seconds });
      text.textContent = t("idle_warning", { time: time });
    }
    update();
    ui.alert.appendChild(text);
    ui.alert.appendChild(el("button", { type: "button", className: "cc-primary-button", text: t("stay"),
      onclick: function () { hideAlert(); touch(); ui.input.focus(); } }));
    ui.alert.hidden = false;
    // Update the visible count each minute only: a live region that changes every second is unbearable.
    idleCountdown = setInterval(function () { if (Math.round((ends - Date.now()) / 1000) % 60 === 0) update(); }, 1000);
  }

  function hideAlert() {
    ui.alert.textContent = "";
    ui.alert.hidden = true;
  }

  // ----- opening and closing ---------------------------------------------------------
  function introduce() {
    if (state.messages.length) return;
    addMessage({ who: "note", intro: true, time: new Date().toISOString(),
      text: t("intro") });
  }

  function openPanel(restoring) {
    state.open = true;
    saveState();
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    introduce();
    showEnded();
    connect();
    scrollToEnd();
    touch();
    if (!restoring) (state.ended ? ui.restart : ui.input).focus();
  }

  function closePanel() {
    state.open = false;
    saveState();
    clearIdle();
    hideAlert();
    hidePrompt();
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function onPanelKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (!ui.prompt.hidden) hidePrompt(ui.input);
      else closePanel();
      return;
    }
    if (!ui.alert.hidden) return; // while warned, only "Stay in the chat" counts as activity
    touch();
  }

  function start() {
    build();
    hideAlert();
    renderAll();
    if (state.sessionId && !state.ended) connect(); // an ongoing chat: receive replies live on every page
    if (state.open) openPanel(true);
    host.setAttribute("data-ready", "true");
    window.dispatchEvent(new CustomEvent("councilchat:ready"));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
