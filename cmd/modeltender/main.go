// Command modeltender runs government procurement of AI models: the web
// server, the Temporal worker, migrations, user administration, offline
// evaluation of a manifest, the audit, policy, artifact and license tools,
// and `dev`, which hands over to cmd/modeltender-dev to run all of it in one
// process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/auditlog"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/discover"
	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/telemetry"
)

const usage = `modeltender: government procurement of AI models

usage: modeltender <command> [flags]

commands:
  dev [--demo] [--policy-dir DIR]
                      run everything in one process: private PostgreSQL, embedded
                      Temporal, worker and web server (state in ./.modeltender);
                      runs the modeltender-dev binary found beside this one
  serve [--policy-dir DIR]
                      run the web server (DATABASE_URL, TEMPORAL_ADDRESS)
  worker [--policy-dir DIR]
                      run the Temporal worker (DATABASE_URL, TEMPORAL_ADDRESS)
  migrate             apply database migrations
  users add --email E --role officer|vendor|reviewer|auditor|admin [--org NAME]
                      create a user and print its API token (shown once)
  users token --email E
                      issue another API token for an existing user
  evaluate [--format auto|manifest|mof|cyclonedx|huggingface|spdx3] [--solicitation FILE]
           [--policy-dir DIR] [--signing-key PEM]... [--signing-certificate PEM]... [--policy-input] FILE...
                      run intake, license review and the policies offline on native
                      manifests, MOF model YAMLs, CycloneDX ML-BOMs, Hugging Face model
                      cards or SPDX 3 AI documents; print JSON decisions (--policy-input:
                      the policies' input document instead); exit 2 on unreadable input
  policy test [--policy-dir DIR]
                      run the policy bundle's Rego unit tests
  policy fmt --check [--policy-dir DIR]
                      list Rego files that are not opa fmt clean
  policy revision [--policy-dir DIR]
                      print the policy bundle's revision (the content hash decisions record)
  policy export [--opa] REVISION DIR
                      write the policy bundle stored under REVISION to DIR (DATABASE_URL);
                      --opa: in OPA's bundle layout, for opa eval
  policy packs [--json] [--policy-dir DIR]
                      list the policy packs with their effective dates and sources
  license explain EXPR|NAME|URL|FILE [--expected-monthly-users N] [--json]
                      explain a license clause by clause for the agency's use
  audit verify [--solicitation ID [--head SEQ:HASH]...] [--json]
                      check the audit trail's hash chains; exit 1 naming the first
                      tampered row, 2 when the database cannot be read
  audit replay [--json] DECISION
                      re-run a recorded evaluation (candidate, workflow or task id)
                      from what was stored; exit 1 naming each difference
  artifact verify [--signature FILE] [--public-key PEM | --certificate-chain PEM |
                  --trusted-root JSON --identity ID --issuer URL] [--ignore-paths a,b] [--json] MODEL_DIR
                      verify a model's OpenSSF Model Signing bundle offline; exit 1
                      naming each changed, missing or extra file, 2 on unreadable input
  artifact verify --award ID [trust flags] [--ignore-paths a,b] [--json] MODEL_DIR
                      compare a delivered model with the digests award ID pins (and its
                      model.sig when trust flags are given); exit 1 naming each difference
  artifact digest [--ignore-paths a,b] MODEL_DIR
                      print the SHA-256 digest list of a model directory as JSON
                      (.git*, model.sig and the --ignore-paths left out)
  version             print the version

environment: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default "default"),
MODELTENDER_TASK_QUEUE (default "modeltender"), MODELTENDER_POLICY_DIR (policy
bundle directory; default the embedded one), MODELTENDER_LISTEN (default
127.0.0.1:8080), MODELTENDER_STATE_DIR (default .modeltender). Without
DATABASE_URL and TEMPORAL_ADDRESS, commands use the dev stack that
` + "`modeltender dev`" + ` keeps running in MODELTENDER_STATE_DIR.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "modeltender:", err)
		var ie *evaluate.InputError
		if errors.As(err, &ie) {
			os.Exit(2)
		}
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			os.Exit(coded.ExitCode())
		}
		os.Exit(1)
	}
}

// run is the whole program, with its environment passed in so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(stderr)
	switch args[0] {
	case "dev":
		return runDev(args[1:])
	case "serve", "worker":
		fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
		fs.SetOutput(stderr)
		policyFlag(fs, &cfg)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if args[0] == "serve" {
			return runServe(ctx, cfg, log)
		}
		return runWorker(ctx, cfg, log)
	case "migrate":
		if err := resolveDatabase(&cfg); err != nil {
			return err
		}
		return store.Migrate(ctx, cfg.DatabaseURL, stderr)
	case "users":
		return runUsers(ctx, cfg, args[1:], stdout, stderr)
	case "license":
		return runLicense(args[1:], stdout, stderr)
	case "evaluate":
		return evaluate.Run(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return auditlog.Run(ctx, args[1:], getenv, stdout, stderr)
	case "artifact":
		return artifact.Run(ctx, args[1:], awardPins(cfg), stdout, stderr)
	case "policy":
		return runPolicy(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "modeltender", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// resolveDatabase finds the dev cluster when DATABASE_URL is unset.
func resolveDatabase(cfg *config.Config) error {
	if cfg.DatabaseURL != "" {
		return nil
	}
	url, err := pgcluster.Discover(cfg.PostgresDir())
	if err != nil {
		return err
	}
	cfg.DatabaseURL = url
	return nil
}

// resolveTemporal finds the dev stack's embedded Temporal when TEMPORAL_ADDRESS is unset.
func resolveTemporal(cfg *config.Config) error {
	if cfg.TemporalAddress != "" {
		return nil
	}
	addr, err := discover.Temporal(*cfg)
	if err != nil {
		return err
	}
	cfg.TemporalAddress = addr
	return nil
}

// policyFlag lets --policy-dir override MODELTENDER_POLICY_DIR.
func policyFlag(fs *flag.FlagSet, cfg *config.Config) {
	fs.StringVar(&cfg.PolicyDir, "policy-dir", cfg.PolicyDir, "directory of Rego policies and data to use instead of the embedded bundle (MODELTENDER_POLICY_DIR)")
}

func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app.App, error) {
	if err := resolveDatabase(&cfg); err != nil {
		return nil, err
	}
	if err := resolveTemporal(&cfg); err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, log)
}

func runServe(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (MODELTENDER_LISTEN): %w", cfg.Listen, err)
	}
	log.Info("serving", "url", "http://"+l.Addr().String())
	return a.Serve(ctx, l)
}

func runWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if addr := cfg.Worker.MetricsAddr; addr != "" {
		bound, err := a.Telemetry.Serve(ctx, addr)
		if err != nil {
			return err
		}
		log.Info("serving metrics", "url", "http://"+bound+"/metrics")
	}
	w := a.NewWorker()
	log.Info("worker polling", "task_queue", cfg.TaskQueue, "temporal", a.Config.TemporalAddress)
	return w.Run(interruptOn(ctx))
}

// interruptOn adapts a context to the channel worker.Run stops on.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

// runDev hands `modeltender dev` over to the modeltender-dev binary, found
// beside this one or on PATH. The dev stack's embedded Temporal server and
// its Web UI live there: linked here they would triple this binary's size,
// its start-up and the memory of every serve and worker process.
func runDev(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dev := filepath.Join(filepath.Dir(self), "modeltender-dev")
	if _, err := os.Stat(dev); err != nil {
		found, lookErr := exec.LookPath("modeltender-dev")
		if lookErr != nil {
			return fmt.Errorf("dev runs the modeltender-dev binary, which is neither beside %s nor on PATH: build it with `make build` (go build -o %s ./cmd/modeltender-dev)", self, dev)
		}
		dev = found
	}
	return syscall.Exec(dev, append([]string{dev}, args...), os.Environ())
}

func runUsers(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "token") {
		return errors.New("usage: modeltender users add --email E --role ROLE [--org NAME] | users token --email E")
	}
	fs := flag.NewFlagSet("users "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address of the user")
	role := fs.String("role", "", "officer, vendor, reviewer, auditor or admin")
	org := fs.String("org", "", "agency or vendor organisation (created if new)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	if err := resolveDatabase(&cfg); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	var u domain.User
	var token string
	if args[0] == "token" {
		u, token, err = st.IssueToken(ctx, *email)
	} else {
		u, token, err = addUser(ctx, st, *email, domain.Role(*role), *org)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s, role %s)\nAPI token (shown once, store it now): %s\n", u.Email, u.ID, u.Role, token)
	return nil
}

func addUser(ctx context.Context, st *store.Store, email string, role domain.Role, org string) (domain.User, string, error) {
	if !role.Valid() {
		return domain.User{}, "", fmt.Errorf("--role %q is not a role: use officer, vendor, reviewer, auditor or admin", role)
	}
	orgID := ""
	if org != "" {
		o, err := st.EnsureOrganisation(ctx, org, store.OrgKindFor(role))
		if err != nil {
			return domain.User{}, "", err
		}
		orgID = o.ID
	} else if role == domain.RoleVendor || role == domain.RoleOfficer {
		return domain.User{}, "", fmt.Errorf("a %s needs --org: the agency or company it acts for", role)
	}
	return st.CreateUser(ctx, email, role, orgID)
}
