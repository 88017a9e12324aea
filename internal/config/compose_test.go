package config

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// docker-compose.yml is not run in CI (no Docker engine), so this test checks
// what can be checked without it, with Compose's own loader (which validates
// the file against the Compose specification's schema): the services of the
// production shape and their health checks, modeltender's commands, and that
// the environment each modeltender service sets is exactly what FromEnv reads,
// pointing at the compose services.
func TestDockerComposeIsConsistent(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping{}, // the file must not depend on the caller's shell
	})
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	svc := func(name string) types.ServiceConfig {
		s, err := project.GetService(name)
		if err != nil {
			t.Fatalf("service %s is missing: %v", name, err)
		}
		return s
	}
	modeltender := []string{"migrate", "serve", "worker"}
	for _, name := range []string{"postgres", "temporal", "temporal-ui"} {
		svc(name)
	}

	// Every service others wait on for health has a health check, and every
	// long-running modeltender service has one.
	for _, s := range project.Services {
		for dep, d := range s.DependsOn {
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if svc(dep).HealthCheck == nil {
					t.Errorf("%s waits for %s to be healthy, but %s has no health check", s.Name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if dep != "migrate" && dep != "search-attributes" {
					t.Errorf("%s waits for %s to complete; only migrate and search-attributes are one-shot services", s.Name, dep)
				}
			default:
				t.Errorf("%s depends on %s with condition %q: wait for health or completion, not for a start", s.Name, dep, d.Condition)
			}
		}
	}
	for _, name := range []string{"postgres", "temporal", "serve", "worker"} {
		if hc := svc(name).HealthCheck; hc == nil || len(hc.Test) == 0 || hc.Disable {
			t.Errorf("%s has no health check", name)
		}
	}

	pg := svc("postgres").Environment
	temporal := svc("temporal")
	if !slices.ContainsFunc(temporal.Ports, func(p types.ServicePortConfig) bool { return p.Target == 7233 }) {
		t.Error("temporal does not expose its frontend port 7233")
	}
	if ui := svc("temporal-ui").Environment["TEMPORAL_ADDRESS"]; ui == nil || *ui != "temporal:7233" {
		t.Errorf("temporal-ui: TEMPORAL_ADDRESS %v, want temporal:7233", ui)
	}

	// The variables FromEnv reads, and which of them every service must set.
	var read []string
	if _, err := FromEnv(func(k string) string { read = append(read, k); return "" }); err != nil {
		t.Fatal(err)
	}
	required := []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "MODELTENDER_TASK_QUEUE",
		"MODELTENDER_LISTEN", "MODELTENDER_PUBLIC_URL", "MODELTENDER_OCID_PREFIX"}
	for _, name := range modeltender {
		s := svc(name)
		if s.Build == nil || s.Build.Context != root {
			t.Errorf("%s: build %+v, want the repository's Dockerfile (.)", name, s.Build)
		}
		if len(s.Command) != 1 || s.Command[0] != name {
			t.Errorf("%s: command %v, want [%s]", name, s.Command, name)
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			if v == nil {
				t.Errorf("%s: %s has no value", name, k)
				continue
			}
			env[k] = *v
			if !slices.Contains(read, k) {
				t.Errorf("%s sets %s, which modeltender does not read", name, k)
			}
		}
		for _, k := range required {
			if env[k] == "" {
				t.Errorf("%s: %s is not set", name, k)
			}
		}
		cfg, err := FromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			t.Fatalf("%s: DATABASE_URL: %v", name, err)
		}
		pass, _ := u.User.Password()
		if u.Hostname() != "postgres" || u.User.Username() != value(pg, "POSTGRES_USER") || pass != value(pg, "POSTGRES_PASSWORD") ||
			strings.TrimPrefix(u.Path, "/") != value(pg, "POSTGRES_DB") {
			t.Errorf("%s: DATABASE_URL %s does not match the postgres service", name, cfg.DatabaseURL)
		}
		if cfg.TemporalAddress != "temporal:7233" {
			t.Errorf("%s: TEMPORAL_ADDRESS %q, want temporal:7233", name, cfg.TemporalAddress)
		}
		if cfg.TemporalNamespace != value(temporal.Environment, "DEFAULT_NAMESPACE") {
			t.Errorf("%s: namespace %q is not the one the temporal service creates", name, cfg.TemporalNamespace)
		}
		if name == "migrate" {
			continue
		}
		if d, ok := s.DependsOn["migrate"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for migrations to complete", name)
		}
		if d, ok := s.DependsOn["temporal"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for Temporal to be healthy", name)
		}
		// The health check asks the port the process listens on.
		addr := cfg.Listen
		if name == "worker" {
			addr = cfg.Worker.MetricsAddr
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s listens on %q: %v", name, addr, err)
			continue
		}
		if hc := s.HealthCheck; hc != nil && !strings.Contains(strings.Join(hc.Test, " "), "/dev/tcp/127.0.0.1/"+port+" ") {
			t.Errorf("%s: health check %q does not ask port %s", name, hc.Test, port)
		}
	}

	// serve is reached where MODELTENDER_PUBLIC_URL says.
	serve := svc("serve")
	cfg, _ := FromEnv(func(k string) string { return value(serve.Environment, k) })
	_, listenPort, _ := net.SplitHostPort(cfg.Listen)
	public, err := url.Parse(cfg.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(serve.Ports, func(p types.ServicePortConfig) bool {
		return strconv.Itoa(int(p.Target)) == listenPort && p.Published == public.Port()
	}) {
		t.Errorf("serve publishes %+v; want its listen port %s published on %s (MODELTENDER_PUBLIC_URL)", serve.Ports, listenPort, public.Port())
	}

	docker, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(docker), "\n")
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.Contains(l, "go build") && strings.Contains(l, "./cmd/modeltender")
	}) {
		t.Error("Dockerfile does not build ./cmd/modeltender")
	}
	// The health checks run bash, which Debian images have and distroless or
	// scratch images do not.
	if last := lastFrom(lines); !strings.HasPrefix(last, "debian:") {
		t.Errorf("the runtime image is %q; the health checks need bash (a Debian image)", last)
	}
}

func value(env types.MappingWithEquals, k string) string {
	if v := env[k]; v != nil {
		return *v
	}
	return ""
}

func lastFrom(dockerfile []string) string {
	image := ""
	for _, l := range dockerfile {
		if f := strings.Fields(l); len(f) > 1 && strings.EqualFold(f[0], "FROM") {
			image = f[1]
		}
	}
	return image
}

func TestFromEnvRejectsBadWorkerSettings(t *testing.T) {
	for _, env := range []map[string]string{
		{"MODELTENDER_WORKER_STICKY_CACHE": "lots"},
		{"MODELTENDER_WORKER_MAX_ACTIVITIES": "0"},
		{"MODELTENDER_WORKER_MAX_WORKFLOW_TASKS": "-3"},
		{"MODELTENDER_WORKER_STICKY_CACHE": "50"}, // below the 100 workflow tasks
		{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
	} {
		if _, err := FromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("FromEnv(%v) accepted it", env)
		}
	}
	c, err := FromEnv(func(k string) string {
		return map[string]string{"MODELTENDER_WORKER_STICKY_CACHE": "500", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker.StickyCacheSize != 500 || c.Worker.MaxActivities != DefaultMaxActivities ||
		c.Telemetry.OTLPEndpoint != "http://collector:4318" || c.Telemetry.OTLPProtocol != "grpc" {
		t.Errorf("config = %+v", c)
	}
}
