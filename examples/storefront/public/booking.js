// The booking page, where Contrail's hosted checkout sends the customer back. Coming back
// proves nothing about the payment, so the page follows it live: the npm graphql-ws client
// subscribes to paymentStatusChanged on Contrail's /graphql WebSocket, authenticated by the
// payment's client secret alone (it opens that one payment, nothing else).
// With a bundler, import from "graphql-ws"; this page loads the package's browser build.
import { createClient } from "/vendor/graphql-ws/client.js";

import { api, money, tonnes, tripSummary } from "./format.js";

const FOLLOW = `subscription Follow($id: ID!) {
  paymentStatusChanged(paymentId: $id) {
    status retirementStatus
    certificate { number url }
  }
}`;

const $ = (id) => document.getElementById(id);
const token = window.location.pathname.split("/").pop();

const booking = await api(`/api/bookings/${token}`).catch((error) => {
  $("title").textContent = error.message;
  return null;
});
if (booking) {
  show(booking);
  $("retry").addEventListener("click", retry);
  if (booking.payment) await follow(booking);
}

function show({ reference, flight, customer, saf, estimate, percentage, offset, offsetError }) {
  document.title = `Booking ${reference} · Skylark Charter`;
  $("reference").textContent = `Booking ${reference}`;
  $("title").textContent = `You're flying to ${flight.destination.city}, ${customer.name}`;
  $("trip").replaceChildren(...tripSummary(flight));
  $("removal").hidden = false;
  if (percentage === 0) {
    $("removal-line").textContent = "You chose not to remove this flight's CO₂.";
    $("status").textContent = "No carbon removal";
    $("timeline").hidden = true;
    return;
  }
  $("removal-line").textContent =
    `You chose to remove ${percentage} % of this flight's CO₂ from the atmosphere.`;
  $("facts").hidden = false;
  $("fact-co2").textContent = `${tonnes(estimate.netCo2Tonnes)} t`;
  $("fact-co2-note").textContent = saf ? "with the fuel blend" : "standard fuel";
  $("fact-removed").textContent = `${tonnes(offset.tonnes)} t`;
  $("fact-share").textContent = `${percentage} % of it`;
  $("fact-price").textContent = money(offset.price);
  const { name, method, registry } = estimate.project;
  $("project").textContent = `By ${name} · ${method} · ${registry}`;
  if (offsetError) failed(offsetError);
}

/** Shows each state the payment reaches, as Contrail pushes it, until it will not change. */
async function follow({ payment, subscriptionUrl }) {
  const client = createClient({
    url: subscriptionUrl,
    connectionParams: { clientSecret: payment.clientSecret },
  });
  try {
    const updates = client.iterate({ query: FOLLOW, variables: { id: payment.id } });
    for await (const { data, errors } of updates) {
      if (errors) throw new Error(errors[0].message);
      state(data.paymentStatusChanged, payment);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : `connection closed (${error?.code})`;
    $("error").textContent = `Live status unavailable: ${reason}. Reload the page to check again.`;
  } finally {
    client.dispose();
  }
}

function state({ status, retirementStatus, certificate }, payment) {
  step("paid", status === "SUCCEEDED" || status === "REFUNDED");
  step("retired", retirementStatus === "RETIRED");
  $("resume").hidden = status !== "PENDING";
  $("resume").href = payment.checkoutUrl;
  $("retry").hidden = true;
  switch (status) {
    case "PENDING":
      return says("Waiting for your payment", "pending");
    case "SUCCEEDED":
      if (retirementStatus !== "RETIRED") return says("Paid", "pending");
      $("certificate").href = certificate.url;
      $("certificate").hidden = false;
      $("certificate-number").textContent = `Certificate ${certificate.number}`;
      return says("Credits retired", "done");
    case "REFUNDED":
      return says(retirementStatus === "FAILED"
        ? "Refunded: no credits were left to retire"
        : "Refunded", "failed");
    case "FAILED":
      return failed("Payment failed");
    case "CANCELLED":
      return failed("Payment cancelled");
    case "EXPIRED":
      return failed("The payment link expired");
    default:
      return says(status, "pending");
  }
}

function failed(message) {
  says(message, "failed");
  $("retry").hidden = false;
}

function says(text, kind) {
  $("status").textContent = text;
  $("dot").className = `dot ${kind}`;
}

function step(name, done) {
  document.querySelector(`[data-step="${name}"]`).classList.toggle("done", done);
}

async function retry() {
  $("retry").disabled = true;
  $("error").textContent = "";
  try {
    const { checkoutUrl } = await api(`/api/bookings/${token}/offset`, {});
    window.location.assign(checkoutUrl);
  } catch (error) {
    $("error").textContent = error.message;
    $("retry").disabled = false;
  }
}
