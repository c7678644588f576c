/*
 * /api/docs: Swagger UI over the service's own OpenAPI document. A file, not an inline script,
 * so the Content-Security-Policy (script-src 'self') allows it; no validator badge, which would
 * load an image from another site.
 */
(function () {
  var root = document.getElementById('swagger-ui')
  window.SwaggerUIBundle({
    url: root.getAttribute('data-openapi-url'),
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false
  })
})()
