// Live updates for the queue and an open conversation (server-sent events).
// The server renders every fragment (escaped); this only swaps them in.
(function () {
  "use strict";
  function refresh(target, url) {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        // Don't wipe what a member of staff is typing.
        var active = document.activeElement;
        if (active && target.contains(active) && active.tagName === "TEXTAREA" && active.value) return;
        target.innerHTML = html;
        scrollDown();
      });
  }
  function scrollDown() {
    var t = document.querySelector(".transcript");
    if (t) t.scrollTop = t.scrollHeight;
  }
  document.addEventListener("DOMContentLoaded", function () {
    scrollDown();
    var queue = document.querySelector("[data-live-queue]");
    var conversation = document.querySelector("[data-live-conversation]");
    if (!window.EventSource || (!queue && !conversation)) return;
    var url = "/events" + (conversation ? "?id=" + encodeURIComponent(conversation.dataset.liveConversation) : "");
    var source = new EventSource(url);
    if (queue) source.addEventListener("queue", function () { refresh(queue, "/queue/rows"); });
    if (conversation) {
      var update = function () { refresh(conversation, conversation.dataset.fragment); };
      source.addEventListener("conversation", update);
      source.addEventListener("queue", update);
    }
  });
})();
