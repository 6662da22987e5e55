package dev.zoetrope.models.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.bytedeco.javacpp.PointerScope;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;

/**
 * Writes a state dict as {@code torch.save} does (zip format, pickle protocol 2): an {@code OrderedDict} of tensors
 * rebuilt by {@code torch._utils._rebuild_tensor_v2} from storages {@code archive/data/N}, for tests of
 * {@code .pth} checkpoints without PyTorch.
 */
final class TorchSave {
    private TorchSave() {}

    static void write(Path file, Weights weights) throws IOException {
        Pickle p = new Pickle();
        List<byte[]> storages = new ArrayList<>();
        p.proto();
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        for (String name : weights.names()) {
            TensorInfo info = weights.info(name).orElseThrow();
            try (PointerScope scope = new PointerScope()) {
                storages.add(Tensors.toBytes(weights.load(name)));
            }
            long[] shape = info.shape();
            p.unicode(name).global("torch._utils", "_rebuild_tensor_v2").op('(');
            p.op('(').unicode("storage").global("torch", storage(info.dtype())).unicode(Integer.toString(storages.size() - 1))
                    .unicode("cpu").integer(info.numel()).op('t').op('Q'); // persistent id → the storage
            p.integer(0).op('(');
            for (long d : shape) p.integer(d);
            p.op('t').op('(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape[i];
            }
            for (long s : strides) p.integer(s);
            p.op('t').op(0x89); // requires_grad False
            p.global("collections", "OrderedDict").op(')').op('R'); // backward hooks
            p.op('t').op('R');
        }
        p.op('u').op('.');

        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "archive/data.pkl", p.bytes());
            stored(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < storages.size(); i++) stored(zip, "archive/data/" + i, storages.get(i));
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static String storage(DType d) {
        return switch (d) {
            case F32 -> "FloatStorage";
            case BF16 -> "BFloat16Storage";
            case F16 -> "HalfStorage";
            case F64 -> "DoubleStorage";
            case I64 -> "LongStorage";
            default -> throw new IllegalArgumentException("no storage for " + d);
        };
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** The few pickle opcodes a state dict needs. */
    private static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int code) {
            out.write(code);
            return this;
        }

        void proto() {
            op(0x80).op(2);
        }

        Pickle global(String module, String name) {
            op('c');
            write(out, (module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            write(out, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            write(out, b);
            return this;
        }

        Pickle integer(long v) {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new IllegalArgumentException("too large for BININT: " + v);
            op('J');
            write(out, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private static void write(ByteArrayOutputStream out, byte[] b) {
            out.writeBytes(b);
        }
    }
}
