// Swagger UI for /docs, as FastAPI configures it. A file rather than an inline script: the page's
// Content-Security-Policy allows only Gatehouse's own scripts.
"use strict";
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis],
  // No request to validator.swagger.io (the docs work offline).
  validatorUrl: null,
  // "Try it out" sends the browser's cookies: log in, then call the routes that need a session.
  withCredentials: true,
});
