package dev.zoetrope.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;

import dev.zoetrope.core.InvalidRequestException;

/**
 * The job store: jobs, API keys and results metadata, in the SQLite file of the data directory (one machine, the
 * default) or in a PostgreSQL database that several machines share ({@code serve --store postgresql://...}).
 *
 * <p>One connection per process, used under a lock: SQLite serialises writers anyway, and one connection keeps the
 * queue's claim-and-update steps atomic without retry loops; on PostgreSQL, processes coordinate through row locks
 * ({@link Dialect#skipLocked()}), so one connection per process is enough too. SQLite runs in WAL mode (the
 * {@code keys} command writes while a server runs) with synchronous=FULL, so every committed job survives a crash.
 * Both dialects share one list of migrations and one schema version.
 */
public final class ServiceDatabase implements AutoCloseable {
    /**
     * 1: keys and jobs; 2: jobs.cancel_requested, so a cancel is one statement whatever the job's state; 3: a claimed
     * job's claim token, worker and lease, its latest progress (so any API instance can report it), and secrets the
     * instances share.
     */
    static final int SCHEMA_VERSION = 3;
    /** Serialises migrations of processes that start at once against one PostgreSQL database (any fixed number). */
    private static final long MIGRATION_LOCK = 0x7a6f6574726f7065L;
    /** Free space the data directory needs before a store that failed is trusted again. */
    static final long MIN_FREE_BYTES = 64L << 20;

    /** The SQLite file, or null on PostgreSQL. */
    private final Path file;
    private final Location location;
    /** The directory whose free space decides whether new work can be written (the data directory). */
    private final Path space;
    /** Null after a PostgreSQL connection failed: the next transaction connects again. */
    private Connection connection;
    /** The file's identity (device and inode) when opened; null where the file system has none, and on PostgreSQL. */
    private final Object fileKey;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile long minFreeBytes = MIN_FREE_BYTES;

    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * The database cannot be used now: the disk is full, the file was deleted or replaced under the running server,
     * or it cannot be read or written. Not a bug: the service answers 503 and reports itself unhealthy.
     *
     * @see #permanent()
     */
    public static final class UnavailableException extends IllegalStateException {
        private final boolean permanent;

        UnavailableException(String message, boolean permanent, Throwable cause) {
            super(message, cause);
            this.permanent = permanent;
        }

        /** Only a restart helps (the file is gone); otherwise freeing space or fixing permissions does. */
        public boolean permanent() {
            return permanent;
        }
    }

    /** Where the store lives, from {@code --store}. */
    public sealed interface Location {
        /** How messages name it: the file, or the URL without its password. */
        String label();

        record SqliteFile(Path file) implements Location {
            public String label() {
                return file.toString();
            }
        }

        /** @param jdbcUrl without credentials; those are in {@code properties} */
        record Postgres(String jdbcUrl, Properties properties, String label) implements Location {}

        /**
         * {@code sqlite:PATH}, {@code postgresql://[user[:password]@]host[:port]/database[?options]} (also
         * {@code postgres://}), or null for the data directory's SQLite file.
         */
        static Location parse(String store, Path data) {
            if (store == null || store.isBlank()) {
                if (data == null) throw new InvalidRequestException("--data DIR or --store URL is required");
                return new SqliteFile(data.resolve("zoetrope.db"));
            }
            if (store.startsWith("sqlite:")) {
                String path = store.substring("sqlite:".length());
                if (path.isBlank()) throw new InvalidRequestException("--store sqlite:PATH: the path is missing");
                return new SqliteFile(Path.of(path));
            }
            if (store.startsWith("postgresql://") || store.startsWith("postgres://")) return postgres(store);
            throw new InvalidRequestException("--store: '" + store + "' is neither sqlite:PATH nor postgresql://HOST[:PORT]/DATABASE");
        }

        private static Postgres postgres(String store) {
            URI uri;
            try {
                uri = new URI(store);
            } catch (URISyntaxException e) {
                throw new InvalidRequestException("--store: not a valid URL: " + e.getMessage());
            }
            String db = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
            if (uri.getHost() == null || db.isEmpty())
                throw new InvalidRequestException("--store: a PostgreSQL URL needs a host and a database: postgresql://HOST[:PORT]/DATABASE");
            Properties props = new Properties();
            String user = uri.getRawUserInfo();
            if (user != null) {
                int colon = user.indexOf(':');
                props.setProperty("user", decode(colon < 0 ? user : user.substring(0, colon)));
                if (colon >= 0) props.setProperty("password", decode(user.substring(colon + 1)));
            }
            props.setProperty("ApplicationName", "zoetrope");
            props.setProperty("connectTimeout", "10");
            props.setProperty("tcpKeepAlive", "true");
            String hostPort = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new Postgres("jdbc:postgresql://" + hostPort + "/" + db + query, props, "postgresql://" + hostPort + "/" + db);
        }

        private static String decode(String s) {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        }
    }

    /** The SQL that differs between the two databases; everything else is written once. */
    enum Dialect {
        SQLITE, POSTGRESQL;

        /** Appended to the SELECT that picks the next job: a row another worker is claiming is passed over, not waited for. */
        String skipLocked() {
            return this == POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "";
        }

        /** Appended to a SELECT whose row must not change until the transaction ends. */
        String lockRow() {
            return this == POSTGRESQL ? " FOR UPDATE" : "";
        }

        /**
         * The database server's clock in epoch milliseconds, as an SQL expression: leases are set and judged by this
         * one clock, so the workers' clocks may differ.
         */
        String nowMillis() {
            return this == POSTGRESQL ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
                    : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
        }

        /** Column types, written {@code $LONG}, {@code $BYTES}, {@code $REAL}, {@code $FLAG} and {@code $SEQ} in the DDL. */
        String ddl(String sql) {
            boolean pg = this == POSTGRESQL;
            return sql.replace("$SEQ", pg ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT")
                    .replace("$LONG", pg ? "BIGINT" : "INTEGER")
                    .replace("$BYTES", pg ? "BYTEA" : "BLOB")
                    .replace("$REAL", pg ? "DOUBLE PRECISION" : "REAL")
                    .replace("$FLAG", pg ? "BOOLEAN NOT NULL DEFAULT FALSE" : "INTEGER NOT NULL DEFAULT 0");
        }
    }

    /** The schema, one version after another; each step runs in the migration's one transaction. */
    private static final List<List<String>> MIGRATIONS = List.of(
            List.of("""
                    CREATE TABLE IF NOT EXISTS api_keys (
                      id TEXT PRIMARY KEY,
                      name TEXT NOT NULL,
                      salt $BYTES NOT NULL,
                      hash $BYTES NOT NULL,
                      created_at $LONG NOT NULL,
                      revoked_at $LONG)""", """
                    CREATE TABLE IF NOT EXISTS jobs (
                      seq $SEQ,
                      id TEXT NOT NULL UNIQUE,
                      owner TEXT NOT NULL REFERENCES api_keys(id),
                      status TEXT NOT NULL,
                      params TEXT NOT NULL,
                      error TEXT,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      created_at $LONG NOT NULL,
                      started_at $LONG,
                      finished_at $LONG,
                      result TEXT)""",
                    "CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs(owner, seq)",
                    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, seq)"),
            List.of("ALTER TABLE jobs ADD COLUMN cancel_requested $FLAG"),
            List.of("ALTER TABLE jobs ADD COLUMN claim TEXT",
                    "ALTER TABLE jobs ADD COLUMN worker TEXT",
                    "ALTER TABLE jobs ADD COLUMN lease_until $LONG",
                    "ALTER TABLE jobs ADD COLUMN stage TEXT",
                    "ALTER TABLE jobs ADD COLUMN fraction $REAL",
                    "ALTER TABLE jobs ADD COLUMN eta_seconds $REAL",
                    "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value $BYTES NOT NULL)"));

    private final Dialect dialect;

    private ServiceDatabase(Location location, Path space, Connection connection, Object fileKey) {
        this.location = location;
        this.file = location instanceof Location.SqliteFile(Path f) ? f : null;
        this.dialect = file != null ? Dialect.SQLITE : Dialect.POSTGRESQL;
        this.space = space;
        this.connection = connection;
        this.fileKey = fileKey;
    }

    /** Opens (creating if needed) the database of the data directory {@code data}. */
    public static ServiceDatabase open(Path data) {
        return open(null, data);
    }

    /**
     * Opens (creating or migrating if needed) the store {@code store} names ({@link Location#parse}); {@code data} is
     * the data directory, which holds the SQLite file when {@code store} is null.
     */
    public static ServiceDatabase open(String store, Path data) {
        Location location = Location.parse(store, data);
        // A PostgreSQL store opened without a data directory (the keys command): free space is checked where it runs.
        Path dir = location instanceof Location.SqliteFile(Path f) ? f.toAbsolutePath().getParent()
                : data != null ? data : Path.of("").toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create the data directory: " + e.getMessage(), e);
        }
        try {
            Connection c = connect(location);
            try {
                migrate(c, location);
                Object key = location instanceof Location.SqliteFile(Path f) ? identity(f) : null;
                return new ServiceDatabase(location, dir, c, key);
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
        } catch (SQLException e) {
            // The user's file or server: not a database, not writable, held by another writer, unreachable, refused.
            throw new InvalidRequestException(location.label() + ": cannot open the job database: " + e.getMessage(), e);
        }
    }

    private static Connection connect(Location location) throws SQLException {
        return switch (location) {
            case Location.SqliteFile(Path file) -> {
                Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
                try (Statement s = c.createStatement()) {
                    s.execute("PRAGMA busy_timeout = 10000");
                    s.execute("PRAGMA journal_mode = WAL");
                    s.execute("PRAGMA synchronous = FULL");
                    s.execute("PRAGMA foreign_keys = ON");
                }
                yield c;
            }
            case Location.Postgres(String url, Properties props, String label) -> DriverManager.getConnection(url, props);
        };
    }

    /**
     * Brings the schema to {@link #SCHEMA_VERSION} in one transaction: a crash leaves the old schema, not half a new
     * one. SQLite keeps the version in {@code user_version}, PostgreSQL in a one-row table, read under a lock so that
     * instances starting together migrate once.
     */
    private static void migrate(Connection c, Location location) throws SQLException {
        boolean pg = location instanceof Location.Postgres;
        Dialect dialect = pg ? Dialect.POSTGRESQL : Dialect.SQLITE;
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            int version;
            if (pg) {
                s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
                s.execute("CREATE TABLE IF NOT EXISTS zoetrope_schema (version INTEGER NOT NULL)");
                try (var rs = s.executeQuery("SELECT max(version) FROM zoetrope_schema")) {
                    version = rs.next() ? rs.getInt(1) : 0;
                }
            } else {
                try (var rs = s.executeQuery("PRAGMA user_version")) {
                    version = rs.next() ? rs.getInt(1) : 0;
                }
            }
            if (version > SCHEMA_VERSION)
                throw new InvalidRequestException(location.label() + ": written by a newer zoetrope (schema " + version
                        + ", this one knows " + SCHEMA_VERSION + ")");
            for (int v = version; v < SCHEMA_VERSION; v++)
                for (String step : MIGRATIONS.get(v)) s.execute(dialect.ddl(step));
            if (version < SCHEMA_VERSION) {
                if (pg) {
                    s.execute("DELETE FROM zoetrope_schema");
                    s.execute("INSERT INTO zoetrope_schema(version) VALUES (" + SCHEMA_VERSION + ")");
                } else {
                    s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
                }
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    Dialect dialect() {
        return dialect;
    }

    /** Whether several processes may share this store (PostgreSQL): claimed jobs then carry leases. */
    public boolean shared() {
        return dialect == Dialect.POSTGRESQL;
    }

    public Location location() {
        return location;
    }

    /**
     * Runs {@code work} alone on the connection, as one transaction.
     *
     * @throws UnavailableException when the file is gone or replaced, or the disk (or the database's page limit) is full
     */
    public <T> T transaction(Work<T> work) {
        lock.lock();
        try {
            // A database deleted under a running server keeps working on the unlinked file, and everything written from
            // then on is lost at the next start: refuse instead.
            requireSameFile();
            Connection connection = connection();
            connection.setAutoCommit(false);
            try {
                T value = work.run(connection);
                connection.commit();
                return value;
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                } catch (SQLException r) {
                    // SQLite may already have rolled back (after SQLITE_FULL it does): "no transaction is active"
                    e.addSuppressed(r);
                }
                throw e;
            } finally {
                try {
                    connection.setAutoCommit(true);
                } catch (SQLException r) {
                    // Its "commit" finds no transaction when SQLite ended it itself; the first error is the one to report,
                    // and the connection is in autocommit mode either way.
                }
            }
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks the database can take writes now: same file as opened, below its page limit, {@link #MIN_FREE_BYTES}
     * free on its file system. Used to see whether a store that failed has recovered.
     *
     * @throws UnavailableException naming what is wrong
     */
    public void checkWritable() {
        lock.lock();
        try {
            requireSameFile();
            String full;
            if (file != null) {
                full = pageLimitReached();
            } else {
                try (Statement s = connection().createStatement()) {
                    s.execute("SELECT 1");
                }
                full = null;
            }
            if (full == null) full = diskFull();
            if (full != null) throw new UnavailableException(location.label() + ": cannot write the job database: " + full, false, null);
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            lock.unlock();
        }
    }

    /** The open connection; on PostgreSQL a new one after the last one failed. */
    private Connection connection() throws SQLException {
        if (connection == null) connection = connect(location);
        return connection;
    }

    private static Object identity(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the job database's attributes: " + e.getMessage(), e);
        }
    }

    private void requireSameFile() {
        if (file == null || fileKey == null) return;
        Object now;
        try {
            now = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            now = null;
        } catch (IOException e) {
            throw new UnavailableException(file + ": cannot check the job database: " + e.getMessage(), false, e);
        }
        if (now == null)
            throw new UnavailableException(file + ": the job database was deleted while the server ran; nothing more "
                    + "can be stored safely: restart the server", true, null);
        if (!Objects.equals(now, fileKey))
            throw new UnavailableException(file + ": the job database was replaced by another file while the server ran; "
                    + "restart the server to use it", true, null);
    }

    /** The reason when the database is at its page limit ({@code PRAGMA max_page_count}), else null. */
    private String pageLimitReached() throws SQLException {
        if (file == null) return null;
        try (Statement s = connection().createStatement()) {
            long pages, max;
            try (var rs = s.executeQuery("PRAGMA page_count")) {
                pages = rs.next() ? rs.getLong(1) : 0;
            }
            try (var rs = s.executeQuery("PRAGMA max_page_count")) {
                max = rs.next() ? rs.getLong(1) : Long.MAX_VALUE;
            }
            return pages >= max ? "the database is full (" + pages + " pages, its limit)" : null;
        }
    }

    /** SQLite's primary result codes that mean the storage, not the statement, is at fault. */
    private static String storageFault(int code) {
        return switch (code) {
            case 8 -> "the database file is read-only";
            case 10 -> "the disk reported an I/O error";
            case 11, 26 -> "the database file is damaged or not a database";
            case 13 -> "the disk is full";
            case 14 -> "the database file cannot be opened";
            default -> null;
        };
    }

    /**
     * The reason when the file system holding the data directory has less than {@link #MIN_FREE_BYTES} free, else
     * null.
     */
    String diskFull() {
        try {
            long free = Files.getFileStore(space).getUsableSpace(), needed = minFreeBytes;
            return free < needed ? String.format(Locale.ROOT, "the disk is full (%.1f MB free, %.1f MB needed)",
                    free / 1e6, needed / 1e6) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** What {@code e} means for the caller: the storage's fault ({@link UnavailableException}) or a bug. */
    RuntimeException failure(SQLException e) {
        if (file == null) return postgresFailure(e);
        String fault = storageFault(e.getErrorCode());
        try {
            // The database's own limit says more than "full"; and an error without a storage code may still come from
            // full storage: a commit after SQLite's own rollback reports only "no transaction is active".
            if (fault == null || e.getErrorCode() == 13) {
                String limit = pageLimitReached();
                if (limit != null) fault = limit;
            }
        } catch (SQLException ignored) {
            // the original error stands
        }
        if (fault == null) fault = diskFull();
        if (fault == null && String.valueOf(e.getMessage()).contains("no transaction is active"))
            fault = "SQLite rolled the write back itself, as it does when the disk is full or failing";
        if (fault != null) return new UnavailableException(file + ": cannot write the job database: " + fault, false, e);
        return new IllegalStateException(file + ": database error: " + e.getMessage(), e);
    }

    /**
     * PostgreSQL's SQLSTATE classes that mean the server, not the statement, is at fault: 08 the connection, 53 its
     * resources (disk, memory, connections), 57 an operator or crash shutdown. The connection is dropped then, so the
     * next transaction connects again.
     */
    private RuntimeException postgresFailure(SQLException e) {
        String state = String.valueOf(e.getSQLState());
        String fault = state.startsWith("08") ? "cannot reach the database server: " + e.getMessage()
                : state.startsWith("53") ? "the database server is out of resources: " + e.getMessage()
                : state.startsWith("57") ? "the database server is shutting down or restarting: " + e.getMessage() : null;
        if (fault == null) {
            try {
                if (connection != null && !connection.isValid(5)) fault = "the connection to the database server broke: " + e.getMessage();
            } catch (SQLException ignored) {
                fault = "the connection to the database server broke: " + e.getMessage();
            }
        }
        if (fault == null) return new IllegalStateException(location.label() + ": database error: " + e.getMessage(), e);
        dropConnection();
        return new UnavailableException(location.label() + ": " + fault, false, e);
    }

    private void dropConnection() {
        if (connection == null) return;
        try {
            connection.close();
        } catch (SQLException ignored) {
            // already broken
        }
        connection = null;
    }

    /** Tests: the free space below which the disk counts as full, so a full disk can be played without filling one. */
    void minFreeBytes(long bytes) {
        minFreeBytes = bytes;
    }

    /** The SQLite file, or null on PostgreSQL. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (connection != null) connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException(location.label() + ": cannot close the database: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
