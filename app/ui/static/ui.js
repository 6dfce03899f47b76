// The page's only script: refreshes live parts while something runs, and sends the page's actions to the
// JSON API (POST /orders, POST /accounts/{id}/sync, cancel, resume). No framework, no build step.
(function () {
  "use strict";

  function flash(text, ok) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = text;
    box.className = ok ? "flash ok" : "flash";
    box.hidden = !text;
    if (text) window.scrollTo(0, 0);
  }

  // The API's error body as one sentence: FastAPI's 422 list names each field; other errors carry `detail`.
  function errorText(status, body) {
    var detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.slice(0, 5).map(function (item) {
        var where = (item.loc || []).slice(1).join(".");
        return (where ? where + ": " : "") + item.msg;
      }).join("; ");
    }
    if (detail) return String(detail);
    return "The service answered HTTP " + status + ".";
  }

  function postJson(url, body) {
    var init = { method: "POST", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text.slice(0, 300) }; }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function openExecution(arn) {
    window.location.assign("/ui/executions/" + arn);
  }

  // Live parts: an element with data-live-src is replaced by a fresh rendering of itself every
  // data-live-every ms; the fresh one carries data-live-src only while there is still something to follow.
  function follow(element) {
    var every = parseInt(element.getAttribute("data-live-every") || "1500", 10);
    window.setTimeout(function () {
      fetch(element.getAttribute("data-live-src"), { headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html.trim();
          var fresh = template.content.firstElementChild;
          if (!fresh) throw new Error("empty fragment");
          element.replaceWith(fresh);
          wire(fresh);
        })
        .catch(function () { follow(element); });  // a failed refresh is tried again
    }, every);
  }

  function wire(root) {
    var live = root.matches && root.matches("[data-live-src]") ? [root] : [];
    live = live.concat(Array.prototype.slice.call(root.querySelectorAll("[data-live-src]")));
    live.forEach(follow);
    root.querySelectorAll("[data-post]").forEach(function (button) {
      button.addEventListener("click", function () {
        var question = button.getAttribute("data-confirm");
        if (question && !window.confirm(question)) return;
        button.disabled = true;
        postJson(button.getAttribute("data-post")).then(function (answer) {
          button.disabled = false;
          if (!answer.ok) { flash(errorText(answer.status, answer.data), false); return; }
          if (answer.data && answer.data.executionArn) { openExecution(answer.data.executionArn); return; }
          flash((answer.data && answer.data.message) || "Done.", true);
        }, function (error) {
          button.disabled = false;
          flash("The service could not be reached: " + error, false);
        });
      });
    });
  }

  // "2026-11-20T10:00" typed in the form is UTC: milliseconds since the epoch, or null when empty.
  function utcMs(value) {
    if (!value) return null;
    var ms = Date.parse(value.length === 16 ? value + ":00Z" : value + "Z");
    return isNaN(ms) ? NaN : ms;
  }

  function startBody(form) {
    var body = {};
    var scope = form.querySelector("input[name=scope]:checked").value;
    if (scope === "symbols") {
      var symbols = form.symbols.value.split(/[\s,;]+/).filter(Boolean);
      if (!symbols.length) throw new Error("Type at least one symbol, like BTCUSDT, or choose the whole account.");
      body.symbols = symbols;
    }
    var start = utcMs(form.start.value), end = utcMs(form.end.value);
    if (Number.isNaN(start) || Number.isNaN(end)) throw new Error("A date of the window is not a valid date.");
    if (start !== null) body.start_ms = start;
    if (end !== null) body.end_ms = end;
    if (form.plan.value) body.include_plan_orders = form.plan.value === "true";
    if (form.fills && form.fills.value) body.include_fills = form.fills.value === "true";
    return body;
  }

  function wireStartForm() {
    var form = document.getElementById("start-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body;
      try { body = startBody(form); } catch (error) { flash(error.message, false); return; }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      flash("", true);
      postJson("/orders", body).then(function (answer) {
        button.disabled = false;
        if (answer.ok && answer.data && answer.data.executionArn) { openExecution(answer.data.executionArn); return; }
        flash("Not started: " + errorText(answer.status, answer.data), false);
      }, function (error) {
        button.disabled = false;
        flash("The service could not be reached: " + error, false);
      });
    });
  }

  wire(document);
  wireStartForm();
})();
