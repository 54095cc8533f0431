// Airlock review console: live updates, countdowns and in-page voting.
// Served as a separate file so the page can forbid inline scripts.
"use strict";

(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var list = document.getElementById("pending");

  function human(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m " + String(s % 60).padStart(2, "0") + "s";
    return Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-created]").forEach(function (el) {
      el.textContent = human(now - Date.parse(el.dataset.created)) + " ago";
    });
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var left = Date.parse(el.dataset.expires) - now;
      el.textContent = left > 0 ? human(left) + " left" : "expired";
      el.classList.toggle("urgent", left < 60000);
    });
  }

  function flash(text, isError) {
    var el = document.getElementById("flash");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    el.classList.toggle("error", !!isError);
  }

  // After the list changes, its vote buttons wait settleMs before they
  // take a click: whoever can file or withdraw a review (the requester)
  // could otherwise slide another review's Approve button under the
  // reviewer's pointer just as they click.
  var settleMs = 1000;
  var settledAt = 0;
  var settleTimer = null;

  function settle() {
    settledAt = Date.now() + settleMs;
    list.querySelectorAll("form.decide button").forEach(function (b) { b.disabled = true; });
    clearTimeout(settleTimer);
    settleTimer = setTimeout(function () {
      list.querySelectorAll("form.decide button").forEach(function (b) { b.disabled = false; });
    }, settleMs);
  }

  // refresh replaces the pending list, keeping what the reviewer typed.
  function refresh() {
    if (!list) return Promise.resolve();
    return fetch("fragment/pending", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { window.location.assign("login"); throw new Error("signed out"); }
        if (!r.ok) {
          // A store that cannot be read is shown as an error, never as an
          // empty list.
          return r.json().catch(function () { return {}; }).then(function (j) {
            flash("error: " + (j.error || "HTTP " + r.status), true);
            throw new Error("HTTP " + r.status);
          });
        }
        var version = r.headers.get("X-Review-Version") || "";
        return r.text().then(function (html) { return { html: html, version: version }; });
      })
      .then(function (res) {
        // Leave the list alone when nothing changed: replacing it would
        // move elements under the reviewer's cursor.
        if (res.version && res.version === list.dataset.version) return;
        list.dataset.version = res.version;
        var html = res.html;
        var typed = {};
        var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest("article") : null;
        list.querySelectorAll("article").forEach(function (a) {
          var input = a.querySelector(".reason");
          if (input && input.value) typed[a.dataset.id] = input.value;
        });
        var template = document.createElement("template");
        template.innerHTML = html;
        list.replaceChildren(template.content);
        settle();
        Object.keys(typed).forEach(function (id) {
          var a = document.getElementById("review-" + id);
          var input = a && a.querySelector(".reason");
          if (input) input.value = typed[id];
        });
        if (focused) {
          var again = document.getElementById(focused.id);
          var input = again && again.querySelector(".reason");
          if (input) input.focus();
        }
        tick();
      })
      .catch(function () {});
  }

  function vote(form, decision) {
    var body = {
      id: form.querySelector('input[name="id"]').value,
      decision: decision,
      reason: form.querySelector('input[name="reason"]').value.trim()
    };
    var scope = form.querySelector('select[name="grant_scope"]');
    if (decision === "approve" && scope && scope.value !== "none") {
      var num = function (name) {
        var el = form.querySelector('input[name="' + name + '"]');
        return el && el.value ? parseInt(el.value, 10) : 0;
      };
      body.grant = { scope: scope.value, minutes: num("grant_minutes"), uses: num("grant_uses") };
    }
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    return fetch("api/decide", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (!res.ok) { flash(res.body.error || "the vote was refused", true); return; }
        var st = res.body.state;
        var text = st === "pending" ? "Vote recorded; more reviews are needed." :
          st === "approved" ? (res.body.break_glass ? "Approved (break-glass)." : "Approved.") :
          st === "denied" ? "Denied." : st;
        flash(text, false);
      })
      .catch(function (e) { flash("Could not reach the console: " + e.message, true); })
      .then(refresh);
  }

  if (list) {
    list.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList.contains("decide")) return;
      e.preventDefault();
      if (Date.now() < settledAt) {
        // The list just moved: the button may not be the one read.
        flash("The list just changed: check the request, then vote again.", true);
        return;
      }
      var decision = e.submitter ? e.submitter.value : "approve";
      vote(form, decision);
    });

    var live = document.getElementById("live");
    var poller = null;
    function startPolling() {
      if (!poller) poller = setInterval(refresh, 3000);
    }
    if (window.EventSource) {
      var es = new EventSource(list.dataset.live);
      es.addEventListener("open", function () {
        if (live) live.classList.remove("off");
        if (poller) { clearInterval(poller); poller = null; }
        refresh();
      });
      es.addEventListener("change", refresh);
      es.addEventListener("error", function () {
        if (live) live.classList.add("off");
        startPolling();
      });
    } else {
      startPolling();
    }
  }

  tick();
  setInterval(tick, 1000);
})();
