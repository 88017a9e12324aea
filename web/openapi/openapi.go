// Package openapi embeds the OpenAPI 3 document of the modeltender API,
// served at /api/openapi.yaml.
package openapi

import _ "embed"

// Document is the OpenAPI 3.1 description of /api/v1.
//
//go:embed openapi.yaml
var Document []byte
