/// The OpenAPI 3.1 description served at `/openapi.json` (kept by hand next to `ServerRoutes`;
/// a route test checks that every route appears here).
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {"title": "clip-search", "version": "1.0.0",
    "description": "Search a clip-search catalog of photos and video moments by text, image or both. Errors are JSON: {\"error\": {\"status\", \"code\", \"message\"}}. When the server binds to a non-loopback address every /api route except /api/health needs 'Authorization: Bearer <token>'."},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "q": {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 1000}, "description": "Text query, any language the model reads."},
      "not": {"name": "not", "in": "query", "schema": {"type": "string"}, "description": "Text to move away from (negative term)."},
      "like": {"name": "like", "in": "query", "schema": {"type": "integer"}, "description": "Media id whose vector joins the query."},
      "type": {"name": "type", "in": "query", "schema": {"type": "string", "enum": ["all", "photo", "video"]}},
      "folder": {"name": "folder", "in": "query", "schema": {"type": "string"}, "description": "Only media under this folder (absolute path as listed by /api/stats)."},
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 24}},
      "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
      "threshold": {"name": "threshold", "in": "query", "schema": {"type": "number", "minimum": -1, "maximum": 1}, "description": "Minimum cosine."},
      "text_weight": {"name": "text_weight", "in": "query", "schema": {"type": "number", "default": 1}},
      "image_weight": {"name": "image_weight", "in": "query", "schema": {"type": "number", "default": 1}},
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
    },
    "schemas": {
      "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}}}}},
      "Hit": {"type": "object", "required": ["rank", "score", "media_id", "path", "type", "thumbnail_url", "media_url"], "properties": {
        "rank": {"type": "integer"}, "score": {"type": "number", "description": "Cosine to the query direction."},
        "media_id": {"type": "integer"}, "path": {"type": "string"}, "folder": {"type": "string"},
        "type": {"type": "string", "enum": ["photo", "video"]},
        "start": {"type": "number", "description": "Video moments: segment start, seconds."},
        "end": {"type": "number", "description": "Video moments: segment end, seconds."},
        "peak": {"type": "number", "description": "Video moments: best-matching frame, seconds."},
        "thumbnail_url": {"type": "string"}, "media_url": {"type": "string"}}},
      "Page": {"type": "object", "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "offset": {"type": "integer"}, "limit": {"type": "integer"}, "has_more": {"type": "boolean"}, "took_ms": {"type": "number"}}},
      "SearchForm": {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}, "q": {"type": "string"},
        "not": {"type": "string"}, "type": {"type": "string"}, "folder": {"type": "string"}, "limit": {"type": "integer"},
        "offset": {"type": "integer"}, "threshold": {"type": "number"}, "text_weight": {"type": "number"}, "image_weight": {"type": "number"}}}
    },
    "responses": {
      "Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Page": {"description": "Ranked results", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}
    }
  },
  "security": [{"bearer": []}, {}],
  "paths": {
    "/api/health": {"get": {"summary": "Liveness, model id and vector count", "security": [], "responses": {"200": {"description": "OK"}}}},
    "/api/stats": {"get": {"summary": "Catalog statistics and folders", "responses": {"200": {"description": "Statistics"}, "500": {"$ref": "#/components/responses/Error"}}}},
    "/api/search": {
      "get": {"summary": "Search by text (and/or a catalog item via like)",
        "parameters": [{"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/not"}, {"$ref": "#/components/parameters/like"},
          {"$ref": "#/components/parameters/type"}, {"$ref": "#/components/parameters/folder"}, {"$ref": "#/components/parameters/limit"},
          {"$ref": "#/components/parameters/offset"}, {"$ref": "#/components/parameters/threshold"},
          {"$ref": "#/components/parameters/text_weight"}, {"$ref": "#/components/parameters/image_weight"}],
        "responses": {"200": {"$ref": "#/components/responses/Page"}, "400": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Search by an uploaded image, optionally combined with text",
        "parameters": [{"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/type"}, {"$ref": "#/components/parameters/limit"}],
        "requestBody": {"content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/SearchForm"}},
          "image/*": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {"200": {"$ref": "#/components/responses/Page"}, "400": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/api/similar/{id}": {"get": {"summary": "More like this catalog item (a video: its mean, or the frame at t)",
      "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "t", "in": "query", "schema": {"type": "number"}},
        {"$ref": "#/components/parameters/type"}, {"$ref": "#/components/parameters/folder"},
        {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/offset"}],
      "responses": {"200": {"$ref": "#/components/responses/Page"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/classify": {"post": {"summary": "Zero-shot classification: image (or media_id) + labels → probabilities (CLIP prompt ensembling)",
      "parameters": [{"name": "labels", "in": "query", "schema": {"type": "string"}, "description": "Comma-separated labels"},
        {"name": "media_id", "in": "query", "schema": {"type": "integer"}}],
      "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
        "image": {"type": "string", "format": "binary"}, "labels": {"type": "string"}, "media_id": {"type": "integer"}}}},
        "application/json": {"schema": {"type": "object", "properties": {"labels": {"type": "array", "items": {"type": "string"}}, "media_id": {"type": "integer"}}}},
        "image/*": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"200": {"description": "{labels: [{label, probability, cosine}]}"}, "400": {"$ref": "#/components/responses/Error"},
        "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/api/embed": {"post": {"summary": "Unit embedding vectors of texts or an image",
      "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
        "text": {"type": "string"}, "texts": {"type": "array", "items": {"type": "string"}}}}},
        "image/*": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}, "text": {"type": "string"}}}}}},
      "responses": {"200": {"description": "{model, dimension, vectors}"}, "400": {"$ref": "#/components/responses/Error"},
        "415": {"$ref": "#/components/responses/Error"}}}},
    "/api/media/{id}": {"get": {"summary": "Catalog record of one item", "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "Media info"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/media/{id}/thumbnail": {"get": {"summary": "Thumbnail (made once, cached on disk); t selects a video frame",
      "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "t", "in": "query", "schema": {"type": "number"}}],
      "responses": {"200": {"description": "image/png or image/jpeg"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/media/{id}/original": {"get": {"summary": "The original file; honours a single HTTP Range (video seeking)",
      "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "Range", "in": "header", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "Whole file"}, "206": {"description": "Requested byte range"},
        "404": {"$ref": "#/components/responses/Error"}, "416": {"$ref": "#/components/responses/Error"}}}}
  }
}
"""#
}
