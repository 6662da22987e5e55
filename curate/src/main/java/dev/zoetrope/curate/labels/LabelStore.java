package dev.zoetrope.curate.labels;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Clips to label and the labels given, in SQLite. A label is one (clip, annotator, attribute) → value; saving again
 * replaces it, so annotators can revise. All methods are synchronized: the web server calls from several threads.
 */
public final class LabelStore implements AutoCloseable {
    /** A clip on the labelling list: id, the media path (relative to the clip directory) and an optional strip. */
    public record Clip(String id, String video, String strip, String caption) {}

    /** One stored label. */
    public record Label(String clipId, String annotator, String attribute, String value) {}

    private final Path file;
    private final Connection db;

    private LabelStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    public static LabelStore open(Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("CREATE TABLE IF NOT EXISTS clips (id TEXT PRIMARY KEY, video TEXT NOT NULL, strip TEXT, caption TEXT, position INTEGER NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS labels (clip_id TEXT NOT NULL, annotator TEXT NOT NULL, attribute TEXT NOT NULL,"
                        + " value TEXT NOT NULL, updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (clip_id, annotator, attribute))");
            }
            return new LabelStore(file, c);
        } catch (SQLException | java.io.IOException e) {
            throw new LabelException(file + ": cannot open the label database: " + e.getMessage(), e);
        }
    }

    /** Adds clips that are not yet listed (existing ones keep their place and labels). */
    public synchronized int addClips(List<Clip> clips) {
        try (PreparedStatement p = db.prepareStatement(
                "INSERT OR IGNORE INTO clips (id, video, strip, caption, position) VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM clips))")) {
            int added = 0;
            db.setAutoCommit(false);
            for (Clip c : clips) {
                p.setString(1, c.id());
                p.setString(2, c.video());
                p.setString(3, c.strip());
                p.setString(4, c.caption());
                added += p.executeUpdate();
            }
            db.commit();
            return added;
        } catch (SQLException e) {
            throw fail("cannot add clips", e);
        } finally {
            autoCommit();
        }
    }

    public synchronized List<Clip> clips() {
        List<Clip> out = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT id, video, strip, caption FROM clips ORDER BY position")) {
            while (r.next()) out.add(new Clip(r.getString(1), r.getString(2), r.getString(3), r.getString(4)));
            return out;
        } catch (SQLException e) {
            throw fail("cannot list clips", e);
        }
    }

    /** Stores an annotator's values for one clip (attribute → value), replacing earlier ones. */
    public synchronized void save(String clipId, String annotator, Map<String, String> values) {
        try (PreparedStatement p = db.prepareStatement(
                "INSERT INTO labels (clip_id, annotator, attribute, value) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT (clip_id, annotator, attribute) DO UPDATE SET value = excluded.value, updated_at = CURRENT_TIMESTAMP")) {
            db.setAutoCommit(false);
            for (var e : values.entrySet()) {
                p.setString(1, clipId);
                p.setString(2, annotator);
                p.setString(3, e.getKey());
                p.setString(4, e.getValue());
                p.executeUpdate();
            }
            db.commit();
        } catch (SQLException e) {
            throw fail("cannot save labels for clip '" + clipId + "'", e);
        } finally {
            autoCommit();
        }
    }

    public synchronized List<Label> labels() {
        List<Label> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT clip_id, annotator, attribute, value FROM labels ORDER BY clip_id, annotator, attribute")) {
            while (r.next()) out.add(new Label(r.getString(1), r.getString(2), r.getString(3), r.getString(4)));
            return out;
        } catch (SQLException e) {
            throw fail("cannot read labels", e);
        }
    }

    /** clip id → attribute → value, for one annotator. */
    public synchronized Map<String, Map<String, String>> labelsOf(String annotator) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (Label l : labels())
            if (l.annotator().equals(annotator)) out.computeIfAbsent(l.clipId(), k -> new LinkedHashMap<>()).put(l.attribute(), l.value());
        return out;
    }

    /** Per attribute: clip id → the values its annotators gave. */
    public synchronized Map<String, Map<String, List<String>>> valuesByAttribute() {
        Map<String, Map<String, List<String>>> out = new TreeMap<>();
        for (Label l : labels())
            out.computeIfAbsent(l.attribute(), k -> new TreeMap<>()).computeIfAbsent(l.clipId(), k -> new ArrayList<>()).add(l.value());
        return out;
    }

    private void autoCommit() {
        try {
            db.setAutoCommit(true);
        } catch (SQLException ignored) {
            // The connection is broken; the next call reports it.
        }
    }

    private LabelException fail(String what, SQLException e) {
        try {
            if (!db.getAutoCommit()) db.rollback();
        } catch (SQLException ignored) {
            // Rolling back a failed transaction on a broken connection: the original error is what matters.
        }
        return new LabelException(file + ": " + what + ": " + e.getMessage(), e);
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new LabelException(file + ": cannot close: " + e.getMessage(), e);
        }
    }
}
