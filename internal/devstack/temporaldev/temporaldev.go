// Package temporaldev owns the Temporal server that `modeltender dev` and the
// end-to-end tests run in-process: all four services in one process, state in
// one SQLite file (or in memory), listening on 127.0.0.1 only and without
// authorization, like `temporal server start-dev`.
package temporaldev

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/modeltender/modeltender/internal/contract"
)

// Options configures Start.
type Options struct {
	// Dir holds the state in Dir/temporal.db, kept across restarts; "" keeps
	// it in memory, gone when the process exits.
	Dir string
	// Namespace is created if missing; "" means "default".
	Namespace string
	// FrontendPort is the gRPC port clients dial; 0 picks a free one.
	FrontendPort int
	// Log receives the server's warnings and errors; nil discards them.
	Log io.Writer
	// UI serves the Temporal Web UI on UIPort (0 picks a free port); see UIURL.
	UI     bool
	UIPort int
	// Postgres, when set, keeps the state in PostgreSQL instead of SQLite
	// (Dir is then unused).
	Postgres *Postgres
}

// Server is a running Temporal server.
type Server struct {
	address   string
	namespace string
	ui        *uiserver.Server
	uiURL     string
	// again is how Supervise starts the server anew: the same state, the
	// same frontend port, no second UI (the running one keeps serving).
	again Options

	// mu guards the run: Supervise replaces it, Stop ends it.
	mu      sync.Mutex
	stopped bool
	server  *stopOnce
	logGate *gate    // nil when logs are discarded
	lock    *os.File // holds Dir against a second server; nil in memory
}

// stopOnce stops a temporal.Server once: a second Stop would close its
// stopped channel again and panic.
type stopOnce struct {
	temporal.Server
	once    sync.Once
	stopped chan struct{}
}

func newStopOnce(server temporal.Server) *stopOnce {
	return &stopOnce{Server: server, stopped: make(chan struct{})}
}

// Stop stops the server and returns once it has stopped.
func (s *stopOnce) Stop() error {
	s.stopWithin(-1)
	return nil
}

// stopWithin stops the server and reports whether it stopped within d
// (d < 0: however long it takes); a hung one goes on stopping alone.
func (s *stopOnce) stopWithin(d time.Duration) bool {
	s.once.Do(func() {
		go func() {
			_ = s.Server.Stop()
			close(s.stopped)
		}()
	})
	if d < 0 {
		<-s.stopped
		return true
	}
	select {
	case <-s.stopped:
		return true
	case <-time.After(d):
		return false
	}
}

const (
	host = "127.0.0.1"
	// clusterName is stored in the database on first start and may not change afterwards.
	clusterName = "active"
	// readyTimeout bounds the wait for the frontend to answer when ctx has no deadline.
	readyTimeout = time.Minute
)

// Start starts the server and returns once its frontend serves opts.Namespace.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	s := &Server{namespace: opts.Namespace}
	logger := log.Logger(log.NewNoopLogger())
	if opts.Log != nil {
		s.logGate = &gate{w: opts.Log}
		logger = newLogger(s.logGate)
	}
	started := false
	defer func() {
		if !started {
			s.unlock()
		}
	}()
	var (
		persistence config.Persistence
		err         error
	)
	if opts.Postgres != nil {
		if persistence, err = opts.Postgres.persistence(logger); err != nil {
			return nil, err
		}
	} else {
		sqlConfig, err := s.prepareStore(opts.Dir)
		if err != nil {
			return nil, err
		}
		// The search attributes are written with the namespace, so every
		// service knows them from its first request (see waitReady for a
		// namespace made without them).
		nsConfig, err := sqlite.NewNamespaceConfig(clusterName, opts.Namespace, false, searchAttributeTypes())
		if err != nil {
			return nil, fmt.Errorf("configure namespace %s: %w", opts.Namespace, err)
		}
		// Creating the namespace in the database before start means it is served
		// from the first request; an existing namespace is left as it is.
		if err := sqlite.CreateNamespaces(sqlConfig, nsConfig); err != nil {
			return nil, fmt.Errorf("create namespace %s: %w", opts.Namespace, err)
		}
		persistence = config.Persistence{
			DefaultStore:    sqliteplugin.PluginName,
			VisibilityStore: sqliteplugin.PluginName,
			// One shard is plenty for one developer and keeps SQLite writes serial anyway.
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlConfig}},
		}
	}

	cfg, err := serverConfig(persistence, opts.FrontendPort)
	if err != nil {
		return nil, err
	}
	s.address = cfg.PublicClient.HostPort
	server, err := temporal.NewServer(
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithConfig(cfg),
		temporal.WithLogger(logger),
		// Nothing but this machine can reach the server; see serverConfig.
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
	)
	if err != nil {
		return nil, fmt.Errorf("configure temporal server: %w", err)
	}
	s.server = newStopOnce(server)
	if err := s.server.Start(); err != nil {
		s.shutdown()
		return nil, fmt.Errorf("start temporal server on %s: %w", s.address, err)
	}
	if err := s.waitReady(ctx, opts.Postgres != nil); err != nil {
		s.shutdown()
		return nil, err
	}
	if opts.UI {
		if err := s.startUI(ctx, opts.UIPort); err != nil {
			if s.ui != nil {
				s.ui.Stop()
			}
			s.shutdown()
			return nil, err
		}
	}
	started = true
	s.again = opts
	s.again.FrontendPort = cfg.Services["frontend"].RPC.GRPCPort
	s.again.UI, s.again.UIPort = false, 0
	return s, nil
}

// Address returns the host:port of the frontend, for client.Options.HostPort.
func (s *Server) Address() string { return s.address }

// Namespace returns the namespace Start made sure exists.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the server and its supervision. Later calls do nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	if s.ui != nil {
		s.ui.Stop()
	}
	s.shutdown()
	s.unlock()
}

// shutdown stops the Temporal services of the current run.
func (s *Server) shutdown() {
	if s.logGate != nil {
		s.logGate.closed.Store(true)
	}
	// The server's Stop always returns nil.
	_ = s.server.Stop()
}

// prepareStore locks Dir, creates the schema in a new database file and
// returns the SQLite settings the server uses.
//
// Pragmas: journal_mode=WAL lets readers proceed while a write commits and
// writes each commit once, sequentially; synchronous=NORMAL then syncs only at
// checkpoints, not on every commit. A crash of the process loses nothing; a
// power cut may lose the last commits but never corrupts the file, which is
// the right trade for a dev server whose workflows must survive restarts.
// The plugin keeps one connection (it allows more only with WAL, and
// concurrent SQLite writers would just fail with "database is locked").
func (s *Server) prepareStore(dir string) (*config.SQL, error) {
	if dir == "" {
		return &config.SQL{
			PluginName: sqliteplugin.PluginName,
			// The plugin creates the schema itself for in-memory databases. A random
			// name keeps two servers in one process apart.
			DatabaseName:      rand.Text(),
			ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
		}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create temporal state directory %s: %w", dir, err)
	}
	if err := s.lockDir(dir); err != nil {
		return nil, err
	}
	cfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      filepath.Join(dir, "temporal.db"),
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal"},
	}
	if _, err := os.Stat(cfg.DatabaseName); err == nil {
		return cfg, forgetMembers(cfg)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("check for temporal state in %s: %w", dir, err)
	}
	if err := sqlite.SetupSchema(cfg); err != nil {
		// Leave no half-made file that the next start would take for a database.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(cfg.DatabaseName + suffix)
		}
		return nil, fmt.Errorf("create temporal schema in %s: %w", cfg.DatabaseName, err)
	}
	return cfg, nil
}

// forgetMembers deletes the cluster membership rows of earlier runs. Services
// seed their membership ring from rows that heartbeated in the last 20s, and
// after a quick restart, trying to join those dead members leaves a service
// outside the ring for about 10s and makes Stop take 14s. The lock on the
// directory ensures no member is still alive.
func forgetMembers(cfg *config.SQL) error {
	db, err := sql.NewSQLDB(sqlplugin.DbKindMain, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("open %s: %w", cfg.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()
	// Rows expire 48h after their last heartbeat, so a cutoff a year ahead takes them all.
	cutoff := time.Now().AddDate(1, 0, 0)
	if _, err := db.PruneClusterMembership(context.Background(), &sqlplugin.PruneClusterMembershipFilter{PruneRecordsBefore: cutoff}); err != nil {
		return fmt.Errorf("clear cluster membership left in %s by the last run: %w", cfg.DatabaseName, err)
	}
	return nil
}

// lockDir takes an exclusive lock on Dir/temporal.lock until Stop: two servers
// on one database would fight over its history shard. The kernel drops the
// lock when the process dies, so a crash leaves nothing stale behind.
func (s *Server) lockDir(dir string) error {
	path := filepath.Join(dir, "temporal.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("another Temporal dev server is using %s; stop the other `make run` first", dir)
		}
		return fmt.Errorf("lock %s: %w", path, err)
	}
	s.lock = f
	return nil
}

func (s *Server) unlock() {
	if s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
}

// serverConfig lays out one cluster of all four services on 127.0.0.1. Every
// service gets its own free gRPC and membership port, so several servers can
// run side by side.
func serverConfig(persistence config.Persistence, frontendPort int) (*config.Config, error) {
	names := []string{"frontend", "history", "matching", "worker"}
	ports, err := freePorts(2 * len(names))
	if err != nil {
		return nil, err
	}
	if frontendPort == 0 {
		frontendPort = ports[0]
	}
	frontend := net.JoinHostPort(host, strconv.Itoa(frontendPort))
	services := make(map[string]config.Service, len(names))
	for i, name := range names {
		grpcPort := ports[2*i]
		if name == "frontend" {
			grpcPort = frontendPort
		}
		services[name] = config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: ports[2*i+1], BindOnLocalHost: true}}
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
		},
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The worker service dials the frontend through this.
		PublicClient: config.PublicClient{HostPort: frontend},
	}, nil
}

// freePorts returns n distinct free ports on 127.0.0.1, below 32768: the
// PostgreSQL store keeps membership ports in a smallint column, and the
// kernel's ephemeral ports (what port 0 gives) start at 32768. It holds every
// listener until all are chosen so no port repeats; another process may still
// take one before the server binds it, which then fails the start loudly.
func freePorts(n int) ([]int, error) {
	const low, high = 20000, 32767
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("find %d free ports between %d and %d on %s: too many are taken", n, low, high, host)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(low+mrand.IntN(high-low+1))))
		if err != nil {
			continue // taken
		}
		defer func() { _ = l.Close() }()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady polls the frontend until it describes the namespace (registering
// it first when register is set: a PostgreSQL store starts empty), then
// registers modeltender's search attributes on it, so callers can dial and
// start workflows right away.
func (s *Server) waitReady(ctx context.Context, register bool) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	conn, err := grpc.NewClient(s.address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial temporal frontend %s: %w", s.address, err)
	}
	defer func() { _ = conn.Close() }()
	frontend := workflowservice.NewWorkflowServiceClient(conn)
	for {
		err := s.registerNamespace(ctx, frontend, register)
		if err == nil {
			_, err = frontend.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace})
		}
		if err == nil {
			if err := s.registerSearchAttributes(ctx, operatorservice.NewOperatorServiceClient(conn)); err != nil {
				return err
			}
			// The frontend serves a namespace from a cache refreshed every few
			// seconds: wait until a visibility call on it passes.
			_, err = frontend.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: s.namespace})
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal frontend %s did not serve namespace %s in time: %w", s.address, s.namespace, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// registerNamespace registers the namespace when asked to, leaving an
// existing one as it is.
func (s *Server) registerNamespace(ctx context.Context, frontend workflowservice.WorkflowServiceClient, register bool) error {
	if !register {
		return nil
	}
	_, err := frontend.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: s.namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)})
	var exists *serviceerror.NamespaceAlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	return err
}

// registerSearchAttributes adds the typed search attributes the workflows
// set (contract.SearchAttributes) that the namespace lacks, as `temporal
// operator search-attribute create` does on a real cluster: a workflow
// upserting an unknown one fails its task.
func (s *Server) registerSearchAttributes(ctx context.Context, op operatorservice.OperatorServiceClient) error {
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %s: %w", s.namespace, err)
	}
	missing := searchAttributeTypes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: s.namespace, SearchAttributes: missing}); err != nil {
		return fmt.Errorf("register search attributes on namespace %s: %w", s.namespace, err)
	}
	// The history service validates a workflow's upserts against its own
	// copy of the namespace, refreshed every namespaceRefresh. A workflow
	// started before that copy has the new attributes fails its task, and an
	// update sent to it is refused: wait the copy out.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(namespaceRefresh):
	}
	return nil
}

// namespaceRefresh is a little over the server's default
// system.namespaceCacheRefreshInterval (2s).
const namespaceRefresh = 3 * time.Second

// searchAttributeTypes maps the name of each of contract.SearchAttributes to its type.
func searchAttributeTypes() map[string]enumspb.IndexedValueType {
	types := make(map[string]enumspb.IndexedValueType, len(contract.SearchAttributes))
	for _, k := range contract.SearchAttributes {
		types[k.GetName()] = k.GetValueType()
	}
	return types
}

// newLogger logs warnings and errors to w as text lines.
func newLogger(w io.Writer) log.Logger {
	encoder := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return log.NewZapLogger(zap.New(zapcore.NewCore(encoder, zapcore.AddSync(w), zapcore.WarnLevel)))
}

// gate passes writes on until Stop closes it. Services stopping one after
// another log some 150 warnings about each other being gone, which tell a
// developer nothing, and a few goroutines of the server outlive Stop and would
// keep writing to a log the caller may consider closed.
type gate struct {
	w      io.Writer
	closed atomic.Bool
}

func (g *gate) Write(p []byte) (int, error) {
	if g.closed.Load() {
		return len(p), nil
	}
	return g.w.Write(p)
}
