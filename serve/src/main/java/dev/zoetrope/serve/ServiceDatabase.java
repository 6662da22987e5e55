package dev.zoetrope.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;

import dev.zoetrope.core.InvalidRequestException;

/**
 * The SQLite file in the data directory that holds jobs and API keys.
 *
 * <p>One connection, used under a lock: SQLite serialises writers anyway, and one connection keeps the queue's
 * claim-and-update steps atomic without retry loops. WAL mode lets the {@code keys} command write while a server
 * runs; synchronous=FULL makes every committed job survive a crash of the process or the machine.
 */
public final class ServiceDatabase implements AutoCloseable {
    /** 1: keys and jobs; 2: jobs.cancel_requested, so a cancel is one statement whatever the job's state. */
    private static final int SCHEMA_VERSION = 2;

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private ServiceDatabase(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens (creating if needed) the database of the data directory {@code data}. */
    public static ServiceDatabase open(Path data) {
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException(data + ": cannot create the data directory: " + e.getMessage(), e);
        }
        Path file = data.resolve("zoetrope.db");
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("PRAGMA foreign_keys = ON");
            }
            try {
                migrate(c, file);
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
            return new ServiceDatabase(file, c);
        } catch (SQLException e) {
            // the file is in the user's data directory: not a database, not writable, or held by another writer
            throw new InvalidRequestException(file + ": cannot open the job database: " + e.getMessage(), e);
        }
    }

    /** Brings the schema to {@link #SCHEMA_VERSION} in one transaction: a crash leaves the old schema, not half a new one. */
    private static void migrate(Connection c, Path file) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            int version;
            try (var rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version > SCHEMA_VERSION)
                throw new InvalidRequestException(file + ": written by a newer zoetrope (schema " + version + ", this one knows "
                        + SCHEMA_VERSION + ")");
            if (version < 1) createVersion1(s);
            if (version < 2) s.execute("ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0");
            if (version < SCHEMA_VERSION) s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void createVersion1(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS api_keys (
                  id TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  salt BLOB NOT NULL,
                  hash BLOB NOT NULL,
                  created_at INTEGER NOT NULL,
                  revoked_at INTEGER)""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS jobs (
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  id TEXT NOT NULL UNIQUE,
                  owner TEXT NOT NULL REFERENCES api_keys(id),
                  status TEXT NOT NULL,
                  params TEXT NOT NULL,
                  error TEXT,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  created_at INTEGER NOT NULL,
                  started_at INTEGER,
                  finished_at INTEGER,
                  result TEXT)""");
        s.execute("CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs(owner, seq)");
        s.execute("CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, seq)");
    }

    /** Runs {@code work} alone on the connection, as one transaction. */
    public <T> T transaction(Work<T> work) {
        lock.lock();
        try {
            connection.setAutoCommit(false);
            try {
                T value = work.run(connection);
                connection.commit();
                return value;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": database error: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": cannot close the database: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
