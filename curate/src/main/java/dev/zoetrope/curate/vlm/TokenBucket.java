package dev.zoetrope.curate.vlm;

/**
 * Rate limiting: a bucket of {@code capacity} tokens refilled at {@code perSecond}; each request takes one and waits
 * when the bucket is empty. Bursts up to the capacity pass at once; the long-run rate never exceeds perSecond.
 */
public final class TokenBucket {
    private final double capacity;
    private final double perSecond;
    private double tokens;
    private long last;

    public TokenBucket(double capacity, double perSecond) {
        if (capacity < 1 || perSecond <= 0) throw new IllegalArgumentException("token bucket needs capacity ≥ 1 and a positive rate");
        this.capacity = capacity;
        this.perSecond = perSecond;
        this.tokens = capacity;
        this.last = System.nanoTime();
    }

    /** Takes one token, sleeping until one is available. */
    public void acquire() throws InterruptedException {
        while (true) {
            long wait;
            synchronized (this) {
                long now = System.nanoTime();
                tokens = Math.min(capacity, tokens + (now - last) / 1e9 * perSecond);
                last = now;
                if (tokens >= 1) {
                    tokens -= 1;
                    return;
                }
                wait = (long) Math.ceil((1 - tokens) / perSecond * 1000);
            }
            Thread.sleep(Math.max(1, wait));
        }
    }
}
