/* global SwaggerUIBundle */
// Keyway's start-up of the API reference. It runs after @fastify/swagger-ui's own initializer and
// replaces its onload: the document comes from /openapi.json (the address the API publishes), and
// Keyway's bar stands where Swagger UI's top bar (its logo and a URL box) would be.
window.onload = function () {
  const documentUrl = new URL('/openapi.json', window.location.href).href;

  const bar = document.createElement('header');
  bar.className = 'keyway-bar';
  const name = document.createElement('span');
  name.className = 'keyway-name';
  name.textContent = 'Keyway API reference';
  const link = document.createElement('a');
  link.className = 'keyway-document';
  link.href = '/openapi.json';
  link.textContent = '/openapi.json';
  link.title = 'The OpenAPI 3.1 document';
  bar.append(name, link);
  document.body.prepend(bar);

  window.ui = SwaggerUIBundle({
    url: documentUrl,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
  });
};
