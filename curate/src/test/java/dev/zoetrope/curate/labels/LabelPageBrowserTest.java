package dev.zoetrope.curate.labels;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.image.Pngs;
import dev.zoetrope.curate.testset.Scene;
import dev.zoetrope.video.Mp4Writer;

/** Labels clips in headless Chromium with the keyboard, as an annotator would, and checks what reached the database. */
@Tag("browser")
class LabelPageBrowserTest {
    @TempDir
    Path dir;

    @Test
    void twoAnnotatorsLabelWithShortcutsAndSeeAgreement() throws Exception {
        Path clips = dir.resolve("clips");
        Files.createDirectories(clips);
        for (int c = 0; c < 3; c++) {
            Scene s = new Scene(40 + c, c * 120, 1);
            List<Picture> frames = new ArrayList<>();
            try (Mp4Writer w = Mp4Writer.open(clips.resolve("clip" + c + ".mp4"), 64, 64, 24)) {
                for (int f = 0; f < 24; f++) {
                    Picture p = s.render(f, 64, 64);
                    w.write(p.rgb());
                    if (f % 6 == 0) frames.add(p);
                }
            }
            Files.write(clips.resolve("clip" + c + ".png"), Pngs.encode(Pngs.strip(frames, 64)));
        }
        LabelConfig config = LabelConfig.defaults();
        try (LabelStore store = LabelStore.open(dir.resolve("labels.sqlite"))) {
            ClipCatalog catalog = ClipCatalog.of(clips);
            store.addClips(catalog.clips());
            try (LabelServer server = LabelServer.start("127.0.0.1", 0, store, config, catalog.root())) {
                ChromeDriver browser = Browsers.chromium(dir.resolve("profile"));
                try {
                    String url = "http://127.0.0.1:" + server.port() + "/";
                    label(browser, url, "ann", List.of("4qzg", "2ect", "5wcg"));
                    assertEquals("3 / 3 labelled", browser.findElement(By.id("count")).getText());
                    Path shot = Path.of(System.getProperty("zoetrope.screenshots", dir.toString())).resolve("label-page.png");
                    Files.createDirectories(shot.getParent());
                    Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
                    label(browser, url, "bob", List.of("4qzg", "3ect", "5wcg"));
                } finally {
                    browser.quit();
                }
                assertEquals(Map.of("overall", "4", "lighting", "good", "motion", "optimal", "text", "no"), store.labelsOf("ann").get("clip0"));
                assertEquals(Map.of("overall", "2", "lighting", "poor", "motion", "static", "text", "yes"), store.labelsOf("ann").get("clip1"));
                assertEquals("3", store.labelsOf("bob").get("clip1").get("overall"));
                var alpha = server.agreementResults().stream().filter(r -> r.attribute().equals("motion")).findFirst().orElseThrow();
                assertEquals(1.0, alpha.alpha(), 1e-9);
                assertEquals(3, alpha.clips());
                // The page's export link serves Label Studio JSON with both annotators.
                var http = java.net.http.HttpClient.newHttpClient();
                String export = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + "/api/export")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                var tasks = dev.zoetrope.core.config.Json.PLAIN.readTree(export);
                assertEquals(3, tasks.size());
                assertEquals(2, tasks.get(0).get("annotations").size());
            }
        }
    }

    /** Types the annotator's name, then per clip the given keys followed by Enter. */
    private static void label(ChromeDriver browser, String url, String name, List<String> keysPerClip) {
        browser.get(url);
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        var box = browser.findElement(By.id("annotator"));
        box.clear();
        box.sendKeys(name, Keys.ENTER);
        wait.until(d -> name.equals(d.findElement(By.tagName("body")).getAttribute("data-annotator")));
        assertTrue(browser.findElement(By.id("clipinfo")).getText().contains("clip0"));
        for (int i = 0; i < keysPerClip.size(); i++) {
            int expectedSaves = i + 1;
            new Actions(browser).sendKeys(keysPerClip.get(i)).sendKeys(Keys.ENTER).perform();
            wait.until(d -> String.valueOf(expectedSaves).equals(d.findElement(By.tagName("body")).getAttribute("data-saved")));
        }
    }
}
