// Package config reads modeltender's settings from the environment, with the
// defaults `modeltender dev` runs on.
package config

import (
	"path/filepath"
	"strings"

	"github.com/modeltender/modeltender/policies"
)

// Config is every setting, each from one environment variable.
type Config struct {
	DatabaseURL       string // DATABASE_URL; empty: the dev cluster in StateDir
	TemporalAddress   string // TEMPORAL_ADDRESS; empty: dev starts an embedded server
	TemporalNamespace string // TEMPORAL_NAMESPACE
	TaskQueue         string // MODELTENDER_TASK_QUEUE
	Listen            string // MODELTENDER_LISTEN
	StateDir          string // MODELTENDER_STATE_DIR: where dev keeps PostgreSQL and Temporal data
	PublicURL         string // MODELTENDER_PUBLIC_URL: the API's address as the public reaches it
	OCIDPrefix        string // MODELTENDER_OCID_PREFIX: the agency's OCDS prefix, ocds-xxxxxx
	PolicyDir         string // MODELTENDER_POLICY_DIR: policy bundle directory; empty: the embedded bundle
}

// FromEnv reads the configuration through getenv.
func FromEnv(getenv func(string) string) Config {
	c := Config{
		DatabaseURL:       getenv("DATABASE_URL"),
		TemporalAddress:   getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: or(getenv("TEMPORAL_NAMESPACE"), "default"),
		TaskQueue:         or(getenv("MODELTENDER_TASK_QUEUE"), "modeltender"),
		Listen:            or(getenv("MODELTENDER_LISTEN"), "127.0.0.1:8080"),
		StateDir:          or(getenv("MODELTENDER_STATE_DIR"), ".modeltender"),
		OCIDPrefix:        or(getenv("MODELTENDER_OCID_PREFIX"), "ocds-mtdr01"),
		PolicyDir:         getenv(policies.EnvPolicyDir),
	}
	c.PublicURL = strings.TrimSuffix(or(getenv("MODELTENDER_PUBLIC_URL"), "http://"+c.Listen), "/")
	return c
}

// PostgresDir is where the dev PostgreSQL cluster lives.
func (c Config) PostgresDir() string { return filepath.Join(c.StateDir, "pg") }

// TemporalDir is where the embedded Temporal server keeps its SQLite file.
func (c Config) TemporalDir() string { return filepath.Join(c.StateDir, "temporal") }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
