package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;

import org.apache.beam.sdk.Pipeline;
import org.junit.jupiter.api.Test;

import dev.zoetrope.video.VideoException;

/** A step's failure reaches the caller as itself; running out of heap says so instead of ending without a summary. */
class PipelineFailureTest {
    @Test
    void stepFailuresKeepTheirMessageAndHeapExhaustionIsNamed() {
        VideoException video = new VideoException("x.mp4: broken");
        assertSame(video, CuratePipeline.unwrap(new Pipeline.PipelineExecutionException(video)));
        IOException io = new IOException("disk full");
        assertSame(io, CuratePipeline.unwrap(new Pipeline.PipelineExecutionException(io)));

        Exception oom = CuratePipeline.unwrap(new Pipeline.PipelineExecutionException(new OutOfMemoryError("Java heap space")));
        CurationException c = assertInstanceOf(CurationException.class, oom);
        assertTrue(c.getMessage().contains("ran out of Java heap") && c.getMessage().contains("Java heap space")
                && c.getMessage().contains("-Xmx"), c.getMessage());

        StackOverflowError so = new StackOverflowError();
        assertSame(so, assertThrows(StackOverflowError.class,
                () -> CuratePipeline.unwrap(new Pipeline.PipelineExecutionException(so))));
    }
}
