/*
 * The clinic website's chat widget for the leg-cramp assistant.
 *
 * Embed with one element and one script tag:
 *
 *   <div id="leg-cramp-chat" data-server-url="https://assistant.clinic.example"
 *        data-token="(optional JWT, when the server sets SOCKETIO_JWT_KEY)"
 *        data-emergency-number="(the clinic region's number, as CLINIC_REGION sets it: 911, 999, 112)"></div>
 *   <script src="https://clinic.example/widget/leg-cramp-chat.js" defer></script>
 *
 * The script loads its stylesheet and the socket.io client from its own
 * folder (no CDN). It talks to Rasa's socket.io channel with session
 * persistence; the session id and the messages shown are kept in the tab's
 * sessionStorage, so a reload keeps the conversation and closing the tab
 * forgets it (health information should not outlive the visit on a shared
 * computer). Every text from the server is shown with textContent, never as
 * HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script.src.replace(/[^/]*$/, "");
  var URL_PATTERN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)])/g;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* The number the clinic configured for its region, or the one the server last
     told in a banner. Never a guess: a page that gives none, in a region whose
     number is not 911, must not send people to 911. */
  function emergencyNumber(root, banner) {
    return (root.getAttribute("data-emergency-number") || "").trim() || (banner && banner.call) || "";
  }

  /* "In an emergency, call N." when the number is known, else nothing. */
  function callLine(number) {
    return number ? " In an emergency, call " + number + "." : "";
  }

  function loadScript(src, done) {
    var tag = document.createElement("script");
    tag.src = src;
    tag.onload = function () { done(null); };
    tag.onerror = function () { done(new Error("could not load " + src)); };
    document.head.appendChild(tag);
  }

  function loadStylesheet(href) {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  /* Text with web links made clickable; everything else stays text. */
  function textWithLinks(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(URL_PATTERN, function (url, _group, offset) {
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = element("a", null, url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      fragment.appendChild(link);
      last = offset + url.length;
      return url;
    });
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // https only: an http image on a clinic's https page is mixed content, and
  // its request (with the page as referrer) can be read or changed on the way.
  function safeImageUrl(url) {
    return typeof url === "string" && /^https:\/\//i.test(url) ? url : null;
  }

  function Chat(root) {
    this.root = root;
    this.serverUrl = (root.getAttribute("data-server-url") || window.location.origin).replace(/\/$/, "");
    this.token = root.getAttribute("data-token") || "";
    this.storageKey = "leg-cramp-chat:" + this.serverUrl;
    this.state = this.restore();
    this.build();
    this.replay();
    this.connect();
  }

  Chat.prototype.restore = function () {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(this.storageKey) || "null");
      if (saved && Array.isArray(saved.messages)) return saved;
    } catch (error) { /* a corrupt entry starts a new conversation */ }
    return { sessionId: null, messages: [], banner: null };
  };

  Chat.prototype.save = function () {
    try {
      window.sessionStorage.setItem(this.storageKey, JSON.stringify(this.state));
    } catch (error) { /* storage full or disabled: the conversation still works */ }
  };

  Chat.prototype.build = function () {
    var id = "lcc-" + Math.random().toString(36).slice(2, 8);
    var panel = element("section", "lcc");
    panel.setAttribute("aria-label", "Leg-cramp assistant chat");

    var header = element("header", "lcc-header");
    header.appendChild(element("h2", "lcc-title", "Leg-cramp assistant"));
    panel.appendChild(header);

    this.banner = element("div", "lcc-banner");
    this.banner.setAttribute("role", "alert");
    this.banner.hidden = true;
    panel.appendChild(this.banner);

    this.log = element("div", "lcc-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-relevant", "additions");
    this.log.setAttribute("aria-label", "Conversation");
    this.log.tabIndex = 0;
    panel.appendChild(this.log);

    this.status = element("p", "lcc-status");
    this.status.setAttribute("role", "status");
    panel.appendChild(this.status);

    var form = element("form", "lcc-form");
    var label = element("label", "lcc-visually-hidden", "Your message");
    label.htmlFor = id + "-input";
    this.input = element("input", "lcc-input");
    this.input.id = id + "-input";
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.maxLength = 2000;
    this.input.placeholder = "Describe your leg cramps…";
    var send = element("button", "lcc-send", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(send);
    var chat = this;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = chat.input.value.trim();
      if (!text) return;
      chat.input.value = "";
      chat.send(text, text);
    });
    panel.appendChild(form);

    this.root.textContent = "";
    this.root.appendChild(panel);
  };

  Chat.prototype.replay = function () {
    var chat = this;
    var lastUser = -1;
    this.state.messages.forEach(function (message, index) { if (message.from === "user") lastUser = index; });
    this.state.messages.forEach(function (message, index) { chat.render(message, index > lastUser); });
    if (this.state.banner) this.showBanner(this.state.banner);
  };

  Chat.prototype.connect = function () {
    var chat = this;
    var options = { transports: ["websocket"], reconnectionDelayMax: 10000 };
    if (this.token) options.auth = { token: this.token };
    this.setStatus("Connecting…");
    this.socket = window.io(this.serverUrl, options);
    this.socket.on("connect", function () {
      chat.setStatus("");
      chat.socket.emit("session_request", { session_id: chat.state.sessionId });
    });
    this.socket.on("session_confirm", function (sessionId) {
      chat.state.sessionId = typeof sessionId === "string" ? sessionId : (sessionId && sessionId.session_id);
      chat.save();
    });
    this.socket.on("connect_error", function () {
      chat.setStatus("The assistant can't be reached right now." +
                     callLine(emergencyNumber(chat.root, chat.state.banner)));
    });
    this.socket.on("disconnect", function () {
      chat.setStatus("Reconnecting…");
    });
    this.socket.on("bot_uttered", function (message) { chat.receive(message); });
  };

  Chat.prototype.setStatus = function (text) {
    this.status.textContent = text;
  };

  Chat.prototype.send = function (text, payload) {
    if (!this.state.sessionId || !this.socket.connected) {
      this.setStatus("Not connected yet; please try again in a moment.");
      return;
    }
    this.add({ from: "user", text: text });
    this.socket.emit("user_uttered", { message: payload, session_id: this.state.sessionId });
    this.input.focus();
  };

  /* What Rasa's socket.io channel sends, reduced to what we keep and show. */
  Chat.prototype.receive = function (message) {
    if (!message || typeof message !== "object") return;
    var custom = message.custom;
    if (custom && typeof custom === "object" && custom.triage_level) {
      if (custom.banner) {
        this.state.banner = { level: String(custom.triage_level), text: String(custom.banner),
                              call: custom.call_number ? String(custom.call_number) : null };
        this.showBanner(this.state.banner);
        this.save();
      }
      return;
    }
    var kept = { from: "bot" };
    if (typeof message.text === "string") kept.text = message.text;
    var buttons = message.quick_replies || message.buttons;
    if (Array.isArray(buttons)) {
      kept.buttons = buttons.filter(function (b) { return b && typeof b.title === "string"; })
        .map(function (b) { return { title: b.title, payload: String(b.payload || b.title) }; });
    }
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      kept.image = safeImageUrl(attachment.payload.src);
    }
    if (kept.text || kept.image || (kept.buttons && kept.buttons.length)) this.add(kept);
  };

  Chat.prototype.add = function (message) {
    this.state.messages.push(message);
    this.save();
    if (message.from === "user") this.removeChoices();
    this.render(message, message.from !== "user");
  };

  /* Suggested replies stay until the person answers, then go. */
  Chat.prototype.removeChoices = function () {
    var groups = this.log.querySelectorAll(".lcc-buttons");
    for (var i = 0; i < groups.length; i++) groups[i].remove();
  };

  Chat.prototype.render = function (message, showChoices) {
    var chat = this;
    var bubble = element("div", "lcc-message lcc-from-" + (message.from === "user" ? "user" : "bot"));
    var who = element("span", "lcc-visually-hidden", message.from === "user" ? "You said: " : "Assistant: ");
    bubble.appendChild(who);
    if (message.text) bubble.appendChild(textWithLinks(message.text));
    if (message.image) {
      var image = element("img", "lcc-image");
      image.src = message.image;
      image.alt = "Image from the assistant";
      bubble.appendChild(image);
    }
    this.log.appendChild(bubble);
    if (message.buttons && message.buttons.length && showChoices) {
      var group = element("div", "lcc-buttons");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      message.buttons.forEach(function (button) {
        var choice = element("button", "lcc-choice", button.title);
        choice.type = "button";
        choice.addEventListener("click", function () { chat.send(button.title, button.payload); });
        group.appendChild(choice);
      });
      this.log.appendChild(group);
    }
    this.log.scrollTop = this.log.scrollHeight;
  };

  Chat.prototype.showBanner = function (banner) {
    this.banner.textContent = "";
    this.banner.className = "lcc-banner lcc-banner-" + (banner.level === "emergency" ? "emergency" : "urgent");
    var icon = element("span", "lcc-banner-icon", "!");
    icon.setAttribute("aria-hidden", "true");
    this.banner.appendChild(icon);
    if (banner.call) {
      var call = element("a", "lcc-banner-text", banner.text);
      call.href = "tel:" + banner.call.replace(/[^0-9+]/g, "");
      this.banner.appendChild(call);
    } else {
      this.banner.appendChild(element("strong", "lcc-banner-text", banner.text));
    }
    this.banner.hidden = false;
  };

  function start() {
    var roots = document.querySelectorAll("#leg-cramp-chat, [data-leg-cramp-chat]");
    if (!roots.length) return;
    loadStylesheet(base + "leg-cramp-chat.css");
    var begin = function (error) {
      for (var i = 0; i < roots.length; i++) {
        if (error || !window.io) {
          roots[i].textContent = "The chat could not load." + callLine(emergencyNumber(roots[i]));
        } else {
          roots[i].chat = new Chat(roots[i]);
        }
      }
    };
    if (window.io) begin(); else loadScript(base + "vendor/socket.io.min.js", begin);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
