package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in Debian's headless Chromium, driven through the system chromedriver (nothing is downloaded):
 * submit a prompt, watch the progress bar reach 100 % over Server-Sent Events, and see the H.264 result play.
 * Needs {@code apt-get install chromium chromium-driver}; the launcher runs the "browser" tag only where they exist.
 */
@Tag("browser")
class BrowserE2ETest {
    /** Debian's paths; other systems can point elsewhere with -Dzoetrope.chromium and -Dzoetrope.chromedriver. */
    static final String CHROMIUM = System.getProperty("zoetrope.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("zoetrope.chromedriver", "/usr/bin/chromedriver");

    @TempDir
    static Path data;
    @TempDir
    static Path profile;
    static ZoetropeServer server;
    static ChromeDriver driver;
    static String key;

    @BeforeAll
    static void start() {
        assertTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
                "browser tests need Debian's chromium and chromium-driver packages");
        server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), new TestPatternGenerator(150));
        key = server.keys().add("browser").secret();
        // The system driver, given explicitly, so Selenium Manager never looks for (or downloads) one.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1100", "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (driver != null) driver.quit();
        if (server != null) server.close();
    }

    @Test
    void submitWatchProgressAndPlay() throws Exception {
        JavascriptExecutor js = driver;
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30), Duration.ofMillis(20));
        driver.get(server.uri().toString());
        wait.until(d -> d.findElements(By.cssSelector("#resolution option")).size() == 2);

        driver.findElement(By.id("apikey")).sendKeys(key);
        driver.findElement(By.cssSelector("#keyform button")).click();
        wait.until(d -> d.findElement(By.id("keystate")).getText().equals("key saved"));

        driver.findElement(By.id("prompt")).sendKeys("a lighthouse at dusk, waves rolling in");
        driver.findElement(By.id("steps")).sendKeys("12");
        driver.findElement(By.id("duration")).sendKeys("3");
        driver.findElement(By.id("seed")).sendKeys("1234");
        driver.findElement(By.id("submit")).click();

        // Watch the bar: it must pass through intermediate values on its way to 100 %.
        List<Double> seen = new ArrayList<>();
        Path progressShot = Path.of("target", "browser-e2e-progress.png");
        Files.deleteIfExists(progressShot);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        double value = 0;
        while (value < 1.0) {
            assertTrue(System.nanoTime() < deadline, "progress stuck at " + value + "; seen " + seen);
            value = ((Number) js.executeScript("return document.getElementById('progress').value;")).doubleValue();
            if (seen.isEmpty() || seen.getLast() != value) seen.add(value);
            if (value > 0.4 && value < 0.9 && !Files.exists(progressShot)) {
                Files.createDirectories(progressShot.getParent());
                Files.write(progressShot, driver.getScreenshotAs(OutputType.BYTES));
            }
            Thread.sleep(20);
        }
        assertTrue(seen.stream().anyMatch(v -> v > 0 && v < 1), "no intermediate progress seen: " + seen);
        for (int i = 1; i < seen.size(); i++) assertTrue(seen.get(i) >= seen.get(i - 1), "progress went back: " + seen);
        assertEquals("100%", driver.findElement(By.id("percent")).getText());
        wait.until(d -> d.findElement(By.id("status")).getText().contains("done"));

        // The player gets the result and plays it: enough data, no error, and the clock moves.
        WebElement player = driver.findElement(By.id("player"));
        wait.until(d -> ((Number) js.executeScript("return arguments[0].readyState;", player)).intValue() >= 2
                || js.executeScript("return arguments[0].error && arguments[0].error.message;", player) != null);
        Object error = js.executeScript("return arguments[0].error && (arguments[0].error.code + ' ' + arguments[0].error.message);", player);
        assertNull(error, "the video element reported an error (codec not supported?)");
        assertTrue(player.getAttribute("src").contains("/content?token="), player.getAttribute("src"));
        double t0 = ((Number) js.executeScript("return arguments[0].currentTime;", player)).doubleValue();
        wait.until(d -> ((Number) js.executeScript("return arguments[0].currentTime;", player)).doubleValue() > t0 + 0.3);
        assertEquals(Boolean.FALSE, js.executeScript("return arguments[0].paused;", player));
        assertEquals(64L, ((Number) js.executeScript("return arguments[0].videoWidth;", player)).longValue());

        // The gallery lists the job with its parameters and a download link.
        wait.until(d -> !d.findElements(By.cssSelector("#gallery .item a.dl")).isEmpty());
        WebElement item = driver.findElement(By.cssSelector("#gallery .item"));
        assertTrue(item.getText().contains("a lighthouse at dusk"), item.getText());
        assertTrue(item.getText().contains("12 steps") && item.getText().contains("seed 1234"), item.getText());
        String href = item.findElement(By.cssSelector("a.dl")).getAttribute("href");
        var download = new ServiceClient(server.uri()).get(href, null);
        assertEquals(200, download.status());
        assertEquals("ftyp", new String(download.body(), 4, 4, java.nio.charset.StandardCharsets.US_ASCII));

        Thread.sleep(300);
        Path shot = Path.of("target", "browser-e2e.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, driver.getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void fieldErrorsShowNextToTheirFields() {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(15));
        driver.get(server.uri().toString());
        ((JavascriptExecutor) driver).executeScript("localStorage.setItem('zoetrope.apiKey', arguments[0]);", key);
        driver.navigate().refresh();
        wait.until(d -> d.findElements(By.cssSelector("#resolution option")).size() == 2);
        driver.findElement(By.id("steps")).sendKeys("500");
        driver.findElement(By.id("seed")).sendKeys("abc");
        driver.findElement(By.id("submit")).click();
        wait.until(d -> !d.findElement(By.cssSelector(".err[data-for=seed]")).getText().isEmpty());
        assertFalse(driver.findElement(By.cssSelector(".err[data-for=prompt]")).getText().isEmpty());
        assertTrue(driver.findElement(By.cssSelector(".err[data-for=steps]")).getText().contains("between 1 and 50"));
    }
}
