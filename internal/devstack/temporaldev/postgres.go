package temporaldev

import (
	"fmt"
	"net"
	"net/url"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	v12 "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// Postgres keeps the server's state in PostgreSQL, as a production cluster
// does, instead of SQLite: the history and visibility databases are created
// and given Temporal's schema (embedded in the server module) when missing.
type Postgres struct {
	// URL reaches the cluster as a user that may create databases, e.g.
	// postgres://postgres@127.0.0.1:5432/; its path is ignored.
	URL string
	// Database and VisibilityDatabase default to temporal and
	// temporal_visibility.
	Database, VisibilityDatabase string
	// HistoryShards is fixed when the database is first set up; default 4.
	HistoryShards int32
}

// persistence prepares the databases and returns the server's persistence
// settings over them.
func (p Postgres) persistence(logger log.Logger) (config.Persistence, error) {
	if p.Database == "" {
		p.Database = "temporal"
	}
	if p.VisibilityDatabase == "" {
		p.VisibilityDatabase = "temporal_visibility"
	}
	if p.HistoryShards == 0 {
		p.HistoryShards = 4
	}
	u, err := url.Parse(p.URL)
	if err != nil || u.Host == "" {
		return config.Persistence{}, fmt.Errorf("PostgreSQL URL %q for Temporal: want postgres://user[:password]@host:port/", p.URL)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	password, _ := u.User.Password()
	sqlConfig := func(db string) *config.SQL {
		return &config.SQL{PluginName: postgresql.PluginNamePGX, DatabaseName: db, ConnectProtocol: "tcp",
			ConnectAddr: net.JoinHostPort(u.Hostname(), port), User: u.User.Username(), Password: password,
			MaxConns: 20, MaxIdleConns: 20, ConnectAttributes: map[string]string{"sslmode": "disable"}}
	}
	main, visibility := sqlConfig(p.Database), sqlConfig(p.VisibilityDatabase)
	for _, db := range []struct {
		cfg     *config.SQL
		schema  string
		version string
	}{
		{main, "postgresql/v12/temporal", v12.Version},
		{visibility, "postgresql/v12/visibility", v12.VisibilityVersion},
	} {
		if err := setupSchema(db.cfg, db.schema, db.version, logger); err != nil {
			return config.Persistence{}, err
		}
	}
	return config.Persistence{
		DefaultStore:     "default",
		VisibilityStore:  "visibility",
		NumHistoryShards: p.HistoryShards,
		DataStores:       map[string]config.DataStore{"default": {SQL: main}, "visibility": {SQL: visibility}},
	}, nil
}

// setupSchema creates cfg's database if missing and gives it the schema at
// its latest version unless it has one.
func setupSchema(cfg *config.SQL, name, version string, logger log.Logger) error {
	admin := *cfg
	admin.DatabaseName = "postgres"
	conn, err := sqltool.NewConnection(&admin, logger)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL at %s for Temporal: %w", cfg.ConnectAddr, err)
	}
	// An existing database fails here and is then found set up below.
	_ = conn.CreateDatabase(cfg.DatabaseName)
	conn.Close()

	db, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("connect to database %s for Temporal: %w", cfg.DatabaseName, err)
	}
	defer db.Close()
	if v, err := db.ReadSchemaVersion(); err == nil && v != "" {
		if v != version {
			return fmt.Errorf("database %s has Temporal schema %s, this server needs %s: upgrade it with temporal-sql-tool update-schema", cfg.DatabaseName, v, version)
		}
		return nil
	}
	if err := schema.NewSetupSchemaTask(db, &schema.SetupConfig{SchemaName: name, InitialVersion: version}, logger).Run(); err != nil {
		return fmt.Errorf("create Temporal schema %s in database %s: %w", name, cfg.DatabaseName, err)
	}
	return nil
}
