package config

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// docker-compose.yml is not run in CI (no Docker engine), so this test checks
// what can be checked without it: the services the production shape needs,
// modeltender's commands, and an environment that sets every variable this
// package reads, pointing at the compose services.
func TestDockerComposeIsConsistent(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       string            `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]any    `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"postgres", "temporal", "temporal-ui", "migrate", "serve", "worker"} {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	var read []string
	FromEnv(func(k string) string { read = append(read, k); return "" })
	pg := compose.Services["postgres"].Environment

	for _, name := range []string{"migrate", "serve", "worker"} {
		svc := compose.Services[name]
		if svc.Build != "." {
			t.Errorf("%s: build %q, want the repository's Dockerfile (.)", name, svc.Build)
		}
		if len(svc.Command) != 1 || svc.Command[0] != name {
			t.Errorf("%s: command %v, want [%s]", name, svc.Command, name)
		}
		for _, k := range read {
			// The state dir is dev's alone; the policy dir is optional
			// (unset: the embedded bundle), for agencies with their own rules.
			if k != "MODELTENDER_STATE_DIR" && k != "MODELTENDER_POLICY_DIR" && svc.Environment[k] == "" {
				t.Errorf("%s: %s is not set", name, k)
			}
		}
		cfg := FromEnv(func(k string) string { return svc.Environment[k] })
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			t.Fatalf("%s: DATABASE_URL: %v", name, err)
		}
		pass, _ := u.User.Password()
		if u.Hostname() != "postgres" || u.User.Username() != pg["POSTGRES_USER"] || pass != pg["POSTGRES_PASSWORD"] ||
			strings.TrimPrefix(u.Path, "/") != pg["POSTGRES_DB"] {
			t.Errorf("%s: DATABASE_URL %s does not match the postgres service", name, cfg.DatabaseURL)
		}
		if cfg.TemporalAddress != "temporal:7233" {
			t.Errorf("%s: TEMPORAL_ADDRESS %q, want temporal:7233", name, cfg.TemporalAddress)
		}
		if cfg.TemporalNamespace != compose.Services["temporal"].Environment["DEFAULT_NAMESPACE"] {
			t.Errorf("%s: namespace %q is not the one the temporal service creates", name, cfg.TemporalNamespace)
		}
		if name != "migrate" {
			if _, ok := svc.DependsOn["migrate"]; !ok {
				t.Errorf("%s does not wait for migrations", name)
			}
		}
	}
	docker, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(strings.Split(string(docker), "\n"), func(l string) bool {
		return strings.Contains(l, "go build") && strings.Contains(l, "./cmd/modeltender")
	}) {
		t.Error("Dockerfile does not build ./cmd/modeltender")
	}
}
