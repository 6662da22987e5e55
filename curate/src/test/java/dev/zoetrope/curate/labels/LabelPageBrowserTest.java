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
                    // The printed address, token and all: the page keeps it as a cookie for its own calls.
                    String url = server.url();
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
                String export = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + "/api/export"))
                                .header("Authorization", "Bearer " + server.token()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                var tasks = dev.zoetrope.core.config.Json.PLAIN.readTree(export);
                assertEquals(3, tasks.size());
                assertEquals(2, tasks.get(0).get("annotations").size());
            }
        }
    }

    @Test
    void clipsWithOddNamesPlayAndRefusalsAreShown() throws Exception {
        Path clips = Files.createDirectories(dir.resolve("clips"));
        // Sorted first, so the page opens on it: '%', '+', a space and a newline all in one name.
        String odd = "0 odd%41+name\nhere";
        try (Mp4Writer w = Mp4Writer.open(clips.resolve(odd + ".mp4"), 64, 64, 24)) {
            Scene s = new Scene(7, 60, 1);
            for (int f = 0; f < 24; f++) w.write(s.render(f, 64, 64).rgb());
        }
        try (LabelStore store = LabelStore.open(dir.resolve("labels.sqlite"))) {
            ClipCatalog catalog = ClipCatalog.of(clips);
            store.addClips(catalog.clips());
            try (LabelServer server = LabelServer.start("127.0.0.1", 0, store, LabelConfig.defaults(), catalog.root())) {
                ChromeDriver browser = Browsers.chromium(dir.resolve("profile"));
                try {
                    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
                    // Without the token the page is refused with a JSON message, not an empty reply.
                    browser.get("http://127.0.0.1:" + server.port() + "/");
                    assertTrue(browser.findElement(By.tagName("body")).getText().contains("missing or wrong token"));
                    browser.get(server.url());
                    wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
                    assertFalse(browser.getCurrentUrl().contains("token"), "the token stayed in the address bar");
                    assertTrue(browser.findElement(By.id("clipinfo")).getText().contains("odd%41+name"));
                    wait.until(d -> ((Number) browser.executeScript("return document.getElementById('video').readyState")).intValue() >= 2);
                    assertNull(browser.executeScript("return document.getElementById('video').error"));
                    assertEquals(64L, browser.executeScript("return document.getElementById('video').videoWidth"));

                    // A value the server refuses: the page shows the server's own message.
                    var box = browser.findElement(By.id("annotator"));
                    box.sendKeys("ann", Keys.ENTER);
                    wait.until(d -> "ann".equals(d.findElement(By.tagName("body")).getAttribute("data-annotator")));
                    browser.executeScript("current = {overall: '9'};");
                    new Actions(browser).sendKeys(Keys.ENTER).perform();
                    wait.until(d -> "1".equals(d.findElement(By.tagName("body")).getAttribute("data-failed")));
                    assertEquals("Not saved: '9' is not an option of 'overall' (HTTP 400)", browser.findElement(By.id("status")).getText());

                    // The odd-named clip saves under its own id.
                    new Actions(browser).sendKeys("3").sendKeys(Keys.ENTER).perform();
                    wait.until(d -> "1".equals(d.findElement(By.tagName("body")).getAttribute("data-saved")));
                } finally {
                    browser.quit();
                }
                assertEquals(Map.of("overall", "3"), store.labelsOf("ann").get(odd));
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
