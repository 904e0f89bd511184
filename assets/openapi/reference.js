// Shows /openapi.json with the bundled Swagger UI. "Authorize" takes an API key (ctr_…) for
// "Try it out"; nothing is kept in the browser, and nothing is asked of any other server (the
// online validator is off).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#reference",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    displayOperationId: true,
    tryItOutEnabled: false,
  });
});
