// Package ui holds the web UI's HTML templates and static assets: the
// vendored USWDS and htmx builds (versions in static/vendor/VERSIONS) and the
// app's own stylesheet, embedded into the binary so nothing is fetched at run
// time. The handlers that render them live in package web.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates are the page templates: layout.html and partials.html are shared,
// every other file is one page that defines "content" (and "live" when part
// of it refreshes itself).
func Templates() fs.FS { return mustSub(templates, "templates") }

// Static is what /static serves.
func Static() fs.FS { return mustSub(static, "static") }

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time; it cannot be missing
	}
	return sub
}
