// Package examples holds example candidate manifests of real models, for the
// README walk-through, the demo data and the tests.
package examples

import "embed"

// Manifests are the example native manifests, by file name under manifests/.
//
//go:embed manifests/*.json
var Manifests embed.FS
