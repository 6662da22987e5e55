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
import java.util.Locale;
import java.util.Objects;
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
    /** Free space the data directory needs before a store that failed is trusted again. */
    static final long MIN_FREE_BYTES = 64L << 20;

    private final Path file;
    private final Connection connection;
    /** The file's identity (device and inode) when opened; null where the file system has none. */
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

    private ServiceDatabase(Path file, Connection connection, Object fileKey) {
        this.file = file;
        this.connection = connection;
        this.fileKey = fileKey;
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
                return new ServiceDatabase(file, c, identity(file));
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
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
            String full = pageLimitReached();
            if (full == null) full = diskFull();
            if (full != null) throw new UnavailableException(file + ": cannot write the job database: " + full, false, null);
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            lock.unlock();
        }
    }

    private static Object identity(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the job database's attributes: " + e.getMessage(), e);
        }
    }

    private void requireSameFile() {
        if (fileKey == null) return;
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
        try (Statement s = connection.createStatement()) {
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
            long free = Files.getFileStore(file.toAbsolutePath().getParent()).getUsableSpace(), needed = minFreeBytes;
            return free < needed ? String.format(Locale.ROOT, "the disk is full (%.1f MB free, %.1f MB needed)",
                    free / 1e6, needed / 1e6) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** What {@code e} means for the caller: the storage's fault ({@link UnavailableException}) or a bug. */
    RuntimeException failure(SQLException e) {
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

    /** Tests: the free space below which the disk counts as full, so a full disk can be played without filling one. */
    void minFreeBytes(long bytes) {
        minFreeBytes = bytes;
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
