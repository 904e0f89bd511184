// The thank-you page follows its payment live: it subscribes over GraphQL
// (graphql-transport-ws, with the payment's client secret) and, at each change, fetches the
// page again and swaps its content, so the server renders every state. Without WebSocket, or
// when the connection fails, the page reloads itself every few seconds instead.
(function () {
  "use strict";
  var RELOAD_AFTER_MS = 5000;
  var QUERY =
    "subscription($id: ID!) { paymentStatusChanged(paymentId: $id) { status retirementStatus } }";
  var main = document.querySelector("main[data-payment]");
  if (!main) return;
  var state = main.getAttribute("data-state");
  var finished = false;

  function reloadLater() {
    if (!finished) setTimeout(function () { location.reload(); }, RELOAD_AFTER_MS);
    finished = true;
  }

  function refresh() {
    fetch(location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("main");
        if (!fresh) throw new Error("no content");
        main.replaceWith(fresh);
        main = fresh;
        document.title = page.title;
      })
      .catch(function () { location.reload(); });
  }

  if (typeof WebSocket !== "function") return reloadLater();
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var socket;
  try {
    socket = new WebSocket(scheme + location.host + "/graphql", "graphql-transport-ws");
  } catch (error) {
    return reloadLater();
  }
  function send(message) { socket.send(JSON.stringify(message)); }

  socket.onopen = function () {
    send({ type: "connection_init", payload: { clientSecret: main.getAttribute("data-client-secret") } });
  };
  socket.onmessage = function (event) {
    var message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      send({ id: "payment", type: "subscribe",
        payload: { query: QUERY, variables: { id: main.getAttribute("data-payment") } } });
    } else if (message.type === "ping") {
      send({ type: "pong" });
    } else if (message.type === "next") {
      var payment = message.payload.data && message.payload.data.paymentStatusChanged;
      if (!payment) return reloadLater();
      var now = payment.status + "/" + payment.retirementStatus;
      if (now !== state) {
        state = now;
        refresh();
      }
    } else if (message.type === "complete") {
      finished = true;
      socket.close(1000, "done");
    } else if (message.type === "error") {
      reloadLater();
    }
  };
  socket.onerror = reloadLater;
  socket.onclose = function () { if (!finished) reloadLater(); };
})();
