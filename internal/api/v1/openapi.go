package v1

import _ "embed"

// OpenAPIDocument is the OpenAPI document of the v1 dialect, served at
// GET /api/v1/openapi.json. openapi_test.go validates every response the
// tests produce against it, so it cannot drift from the code.
//
//go:embed openapi.json
var OpenAPIDocument []byte
