package dev.zoetrope.core.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.zoetrope.core.engine.DType;

/**
 * A pickle interpreter that can only build what a {@code torch.save}d state dict is made of: dicts, lists, tuples,
 * strings, numbers, and tensor descriptions. It never imports or calls anything: a {@code GLOBAL} resolves against a
 * fixed table of names, and every other name is refused on sight, before anything could use it. "Calling" one of the
 * known names builds a Java value that only describes the tensor; no bytes of tensor data are read here.
 *
 * <p>The values it builds are: {@code null} (None), {@link Boolean}, {@link Long}, {@link Double}, {@link String},
 * {@code byte[]}, {@link Tuple}, {@link ArrayList} (list), {@link LinkedHashMap} (dict and OrderedDict) and
 * {@link TensorRef}. Every count and length is bounded, so a hostile pickle cannot exhaust memory.
 */
final class StatePickle {
    /** Values pushed, memoised or stored in containers; a state dict needs a few dozen per tensor. */
    static final int MAX_ITEMS = 1 << 23;
    static final int MAX_DIMS = 64;

    /** An immutable Python tuple. */
    record Tuple(List<Object> items) {
        Tuple {
            items = java.util.Collections.unmodifiableList(new ArrayList<>(items));
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** A storage as its persistent id names it: {@code ('storage', type, key, location, numel)}. */
    record Storage(String key, StorageType type, long numel, String location) {
        /** Bytes the storage holds: numel counts elements of a typed storage, bytes of an untyped one. */
        long bytes() {
            return type.dtype() == null ? numel : Math.multiplyExact(numel, type.dtype().size());
        }
    }

    /** A tensor as a view of a storage: element offset, shape and strides (in elements). */
    record TensorRef(Storage storage, DType dtype, long offset, long[] shape, long[] stride) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        boolean contiguous() {
            long expected = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] != 1 && stride[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }

        /** One past the largest element index the view touches (0 for an empty tensor). */
        long extent() {
            if (numel() == 0) return 0;
            long last = offset;
            for (int i = 0; i < shape.length; i++) last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
            return last + 1;
        }
    }

    /** A torch storage class; {@code dtype} is null for {@code torch.UntypedStorage} (bytes). */
    record StorageType(String name, DType dtype) {}

    /** A torch dtype object, as {@code _rebuild_tensor_v3} receives it. */
    private record DTypeValue(String name, DType dtype) {}

    /** The functions a state dict's pickle calls; each is interpreted here, never looked up anywhere. */
    private enum Function {
        ORDERED_DICT, SIZE, REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3, REBUILD_PARAMETER,
        REBUILD_PARAMETER_WITH_STATE
    }

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    /** Everything {@code GLOBAL} may name: the allowlist. Anything else is refused. */
    static final Map<String, Object> GLOBALS;

    static {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("collections.OrderedDict", Function.ORDERED_DICT);
        g.put("torch._utils._rebuild_tensor", Function.REBUILD_TENSOR);
        g.put("torch._utils._rebuild_tensor_v2", Function.REBUILD_TENSOR_V2);
        g.put("torch._utils._rebuild_tensor_v3", Function.REBUILD_TENSOR_V3);
        g.put("torch._utils._rebuild_parameter", Function.REBUILD_PARAMETER);
        g.put("torch._utils._rebuild_parameter_with_state", Function.REBUILD_PARAMETER_WITH_STATE);
        g.put("torch.Size", Function.SIZE);
        // Typed storages: the element type of a tensor saved by _rebuild_tensor(_v2).
        Object[][] storages = {{"Double", DType.F64}, {"Float", DType.F32}, {"Half", DType.F16}, {"BFloat16", DType.BF16},
                {"Long", DType.I64}, {"Int", DType.I32}, {"Short", DType.I16}, {"Char", DType.I8}, {"Byte", DType.U8},
                {"Bool", DType.BOOL}};
        for (Object[] s : storages) g.put("torch." + s[0] + "Storage", new StorageType("torch." + s[0] + "Storage", (DType) s[1]));
        // torch has no typed storage for its newer dtypes (float8, ...): it saves them as an UntypedStorage of bytes
        // and passes the dtype object to _rebuild_tensor_v3.
        g.put("torch.UntypedStorage", new StorageType("torch.UntypedStorage", null));
        Object[][] dtypes = {{"float64", DType.F64}, {"float32", DType.F32}, {"float16", DType.F16}, {"bfloat16", DType.BF16},
                {"int64", DType.I64}, {"int32", DType.I32}, {"int16", DType.I16}, {"int8", DType.I8}, {"uint8", DType.U8},
                {"bool", DType.BOOL}, {"float8_e4m3fn", DType.F8_E4M3}, {"float8_e5m2", DType.F8_E5M2}};
        for (Object[] d : dtypes) g.put("torch." + d[0], new DTypeValue("torch." + d[0], (DType) d[1]));
        GLOBALS = java.util.Collections.unmodifiableMap(g);
    }

    private final Path path;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();
    private long items;

    private StatePickle(Path path, byte[] pickle) {
        this.path = path;
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Interprets {@code pickle} (the {@code data.pkl} of a checkpoint in {@code path}) and returns its value. */
    static Object load(Path path, byte[] pickle) {
        return new StatePickle(path, pickle).run();
    }

    private TorchCheckpointException bad(String problem) {
        return new TorchCheckpointException(path, "data.pkl: " + problem);
    }

    private void count() {
        if (++items > MAX_ITEMS)
            throw bad("more than " + MAX_ITEMS + " values; not a state dict (or a hostile file)");
    }

    private void push(Object o) {
        count();
        stack.add(o);
    }

    private Object pop() {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) throw bad("stack underflow at byte " + in.position());
        return stack.removeLast();
    }

    private Object top() {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) throw bad("stack underflow at byte " + in.position());
        return stack.getLast();
    }

    /** The items since the last MARK, which is removed with them. */
    private List<Object> popMark() {
        if (marks.isEmpty()) throw bad("no MARK to pop at byte " + in.position());
        int m = marks.removeLast();
        List<Object> sub = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return sub;
    }

    private int u8() {
        need(1);
        return in.get() & 0xFF;
    }

    private void need(long n) {
        if (n < 0 || n > in.remaining()) throw bad("truncated: needs " + n + " more bytes at byte " + in.position());
    }

    private byte[] bytes(long n) {
        need(n);
        byte[] b = new byte[(int) n];
        in.get(b);
        return b;
    }

    private String utf8(long n) {
        need(n);
        ByteBuffer slice = in.slice(in.position(), (int) n);
        in.position(in.position() + (int) n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw bad("a string is not valid UTF-8");
        }
    }

    private String line() {
        int start = in.position();
        while (in.hasRemaining()) {
            if (in.get() == '\n') {
                byte[] b = Arrays.copyOfRange(in.array(), start, in.position() - 1);
                return new String(b, StandardCharsets.UTF_8);
            }
            if (in.position() - start > 1024) break;
        }
        throw bad("unterminated or overlong name at byte " + start);
    }

    private long int64(int n) {
        if (n < 0 || n > 8) throw bad("an integer of " + n + " bytes is out of range");
        need(n);
        if (n == 0) return 0;
        long v = 0;
        for (int i = 0; i < n; i++) v |= (in.get() & 0xFFL) << (8 * i);
        int shift = 64 - 8 * n; // sign-extend the two's complement value
        return shift == 0 ? v : v << shift >> shift;
    }

    private Object run() {
        while (true) {
            int at = in.position();
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) throw bad("pickle protocol " + v + " (torch.save writes protocol 2)");
                }
                case 0x95 -> { // FRAME: a length hint only
                    need(8);
                    in.getLong();
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case '(' -> { // MARK
                    count();
                    marks.add(stack.size());
                }
                case 'X' -> { // BINUNICODE
                    need(4);
                    push(utf8(in.getInt() & 0xFFFFFFFFL));
                }
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> { // BINUNICODE8
                    need(8);
                    push(utf8(in.getLong()));
                }
                case 'T' -> { // BINSTRING (Python 2 str)
                    need(4);
                    push(new String(bytes(in.getInt()), StandardCharsets.ISO_8859_1));
                }
                case 'U' -> push(new String(bytes(u8()), StandardCharsets.ISO_8859_1)); // SHORT_BINSTRING
                case 'B' -> { // BINBYTES
                    need(4);
                    push(bytes(in.getInt() & 0xFFFFFFFFL));
                }
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 0x8e -> { // BINBYTES8
                    need(8);
                    push(bytes(in.getLong()));
                }
                case 'J' -> { // BININT
                    need(4);
                    push((long) in.getInt());
                }
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> { // BININT2
                    need(2);
                    push((long) (in.getShort() & 0xFFFF));
                }
                case 0x8a -> push(int64(u8())); // LONG1
                case 0x8b -> { // LONG4
                    need(4);
                    push(int64(in.getInt()));
                }
                case 'G' -> { // BINFLOAT, big-endian
                    need(8);
                    push(Double.longBitsToDouble(Long.reverseBytes(in.getLong())));
                }
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(null); // NONE
                case 0x85 -> push(new Tuple(List.of(pop()))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop(), a = pop();
                    push(new Tuple(Arrays.asList(a, b)));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop(), b = pop(), a = pop();
                    push(new Tuple(Arrays.asList(a, b, c)));
                }
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'd' -> { // DICT
                    Map<Object, Object> d = new LinkedHashMap<>();
                    setItems(d, popMark());
                    push(d);
                }
                case 's' -> { // SETITEM
                    Object v = pop(), k = pop();
                    setItems(dictOnTop("SETITEM"), Arrays.asList(k, v));
                }
                case 'u' -> { // SETITEMS
                    List<Object> kv = popMark();
                    setItems(dictOnTop("SETITEMS"), kv);
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    listOnTop("APPEND").add(v);
                    count();
                }
                case 'e' -> { // APPENDS
                    List<Object> vs = popMark();
                    listOnTop("APPENDS").addAll(vs);
                    for (int i = 0; i < vs.size(); i++) count();
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(top()); // DUP
                case 'c' -> { // GLOBAL "module\nname\n"
                    String module = line(), name = line();
                    push(global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n))
                        throw bad("STACK_GLOBAL with a non-string name at byte " + at);
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE: callable(*args)
                    Object args = pop(), f = pop();
                    push(call(f, args, at));
                }
                case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args); only the classes below, which build the same way
                    Object args = pop(), cls = pop();
                    if (cls != Function.ORDERED_DICT && cls != Function.SIZE)
                        throw bad("NEWOBJ of " + describe(cls) + " at byte " + at);
                    push(call(cls, args, at));
                }
                case 'b' -> { // BUILD: obj.__setstate__(state)
                    Object state = pop();
                    Object obj = top();
                    // A state dict carries its module versions as an attribute (_metadata); there is nothing to keep.
                    if (!(obj instanceof Map<?, ?>))
                        throw bad("BUILD on " + describe(obj) + " at byte " + at + "; only a dict's attributes can be set");
                    if (state != null && !(state instanceof Map<?, ?>) && !(state instanceof Tuple))
                        throw bad("BUILD with " + describe(state) + " at byte " + at);
                }
                case 'q' -> memoPut(u8()); // BINPUT
                case 'r' -> { // LONG_BINPUT
                    need(4);
                    memoPut(in.getInt() & 0xFFFFFFFFL);
                }
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'h' -> memoGet(u8()); // BINGET
                case 'j' -> { // LONG_BINGET
                    need(4);
                    memoGet(in.getInt() & 0xFFFFFFFFL);
                }
                case 'Q' -> push(persistentLoad(pop(), at)); // BINPERSID
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) throw bad("values left on the stack at STOP");
                    if (in.hasRemaining()) throw bad(in.remaining() + " bytes after STOP");
                    return result;
                }
                default -> throw bad("refuses pickle opcode " + opcodeName(op) + " at byte " + at
                        + ": torch.save never writes it for a state dict");
            }
        }
    }

    private Object global(String module, String name) {
        String full = module + "." + name;
        Object known = GLOBALS.get(full);
        if (known != null) return known;
        if (module.equals("torch") && name.endsWith("Storage"))
            throw new TorchCheckpointException(path, "holds a tensor stored as '" + full
                    + "', an element type this reader does not load (supported: "
                    + String.join(", ", GLOBALS.keySet().stream().filter(k -> k.endsWith("Storage")).toList()) + ")");
        throw new TorchCheckpointException(path, "PyTorch checkpoint reader refuses global '" + full
                + "': a state dict of tensors never needs it; this file may be hostile, or it holds Python objects"
                + " other than weights (save the model's state_dict(), or convert the file to safetensors where it was made)");
    }

    private void memoPut(long index) {
        count();
        memo.put(index, top());
    }

    private void memoGet(long index) {
        if (!memo.containsKey(index)) throw bad("memo entry " + index + " is read before it is written");
        push(memo.get(index));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(String op) {
        if (top() instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw bad(op + " on " + describe(top()) + ", not a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop(String op) {
        if (top() instanceof ArrayList<?> l) return (List<Object>) l;
        throw bad(op + " on " + describe(top()) + ", not a list");
    }

    private void setItems(Map<Object, Object> d, List<Object> kv) {
        if (kv.size() % 2 != 0) throw bad("odd number of items for a dict");
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!hashable(k, 0)) throw bad("dict key " + describe(k) + " is not a plain value");
            d.put(k, kv.get(i + 1));
            count();
        }
    }

    /** Keys are compared with equals/hashCode, so only flat immutable values may be keys (no cycles through them). */
    private static boolean hashable(Object k, int depth) {
        return switch (k) {
            case null -> true;
            case String _, Long _, Double _, Boolean _ -> true;
            case Tuple t -> depth < 2 && t.items().stream().allMatch(x -> hashable(x, depth + 1));
            default -> false;
        };
    }

    private Storage persistentLoad(Object pid, int at) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0)))
            throw bad("persistent id " + describe(pid) + " at byte " + at + " is not ('storage', type, key, location, numel)");
        if (!(t.get(1) instanceof StorageType type)) throw bad("persistent id with storage type " + describe(t.get(1)));
        if (!(t.get(2) instanceof String key)) throw bad("persistent id with key " + describe(t.get(2)));
        if (!(t.get(3) instanceof String location)) throw bad("storage '" + key + "' has location " + describe(t.get(3)));
        if (!(t.get(4) instanceof Long numel) || numel < 0) throw bad("storage '" + key + "' has size " + describe(t.get(4)));
        Storage s = new Storage(key, type, numel, location);
        try {
            s.bytes();
        } catch (ArithmeticException e) {
            throw bad("storage '" + key + "' of " + numel + " elements overflows");
        }
        Storage prev = storages.putIfAbsent(key, s);
        if (prev != null && (!prev.type().equals(type) || prev.numel() != numel))
            throw bad("storage '" + key + "' is described twice, differently");
        return prev != null ? prev : s;
    }

    private Object call(Object f, Object argsObject, int at) {
        if (!(f instanceof Function fn)) throw bad("calls " + describe(f) + " at byte " + at + ", which is not callable");
        if (!(argsObject instanceof Tuple args)) throw bad("arguments of " + fn + " at byte " + at + " are not a tuple");
        return switch (fn) {
            case ORDERED_DICT -> {
                if (args.size() != 0) throw bad("OrderedDict with arguments at byte " + at);
                yield new LinkedHashMap<>();
            }
            case SIZE -> {
                if (args.size() != 1 || !(args.get(0) instanceof Tuple dims)) throw bad("torch.Size without a tuple at byte " + at);
                yield dims;
            }
            case REBUILD_TENSOR -> tensor(args, 4, 4, null, at);
            case REBUILD_TENSOR_V2 -> tensor(args, 6, 7, null, at);
            case REBUILD_TENSOR_V3 -> {
                if (args.size() < 7 || !(args.get(6) instanceof DTypeValue d))
                    throw bad("_rebuild_tensor_v3 without a dtype at byte " + at);
                yield tensor(args, 7, 8, d.dtype(), at);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                int n = fn == Function.REBUILD_PARAMETER ? 3 : 4;
                if (args.size() != n || !(args.get(0) instanceof TensorRef t))
                    throw bad("a parameter at byte " + at + " does not wrap a tensor");
                yield t;
            }
        };
    }

    /** {@code (storage, storage_offset, size, stride, ...)}: checked so that the view lies inside its storage. */
    private TensorRef tensor(Tuple args, int minArgs, int maxArgs, DType v3dtype, int at) {
        if (args.size() < minArgs || args.size() > maxArgs)
            throw bad("tensor at byte " + at + " is rebuilt from " + args.size() + " arguments");
        if (!(args.get(0) instanceof Storage s)) throw bad("tensor at byte " + at + " has no storage");
        DType dtype;
        if (v3dtype == null) {
            if (s.type().dtype() == null)
                throw bad("tensor at byte " + at + " views untyped storage '" + s.key() + "' without a dtype");
            dtype = s.type().dtype();
        } else {
            if (s.type().dtype() != null && s.type().dtype() != v3dtype)
                throw bad("tensor at byte " + at + " of " + v3dtype.code() + " views storage '" + s.key() + "' of "
                        + s.type().name());
            dtype = v3dtype;
        }
        if (!(args.get(1) instanceof Long offset) || offset < 0)
            throw bad("tensor at byte " + at + " has storage offset " + describe(args.get(1)));
        long[] shape = dims(args.get(2), "size", at), stride = dims(args.get(3), "stride", at);
        if (shape.length != stride.length)
            throw bad("tensor at byte " + at + " has " + shape.length + " sizes but " + stride.length + " strides");
        TensorRef t = new TensorRef(s, dtype, offset, shape, stride);
        long storageElements = s.type().dtype() == null ? s.numel() / dtype.size() : s.numel();
        long numel, extent;
        try {
            numel = 1;
            for (long d : shape) numel = Math.multiplyExact(numel, d);
            Math.multiplyExact(numel, dtype.size());
            extent = t.extent();
        } catch (ArithmeticException e) {
            throw bad("tensor at byte " + at + " of shape " + Arrays.toString(shape) + " overflows");
        }
        // A view wider than its storage reads outside it; one with more elements than the storage (zero or
        // overlapping strides, an expanded tensor) never occurs in a state dict and could demand a huge allocation
        // from a tiny file, so both are refused.
        if (extent > storageElements || numel > Math.max(storageElements, 0))
            throw bad("tensor at byte " + at + " (" + dtype.code() + " " + Arrays.toString(shape) + ", offset " + offset
                    + ", strides " + Arrays.toString(stride) + ") reaches past its storage '" + s.key() + "' of "
                    + storageElements + " elements");
        return t;
    }

    private long[] dims(Object o, String what, int at) {
        if (!(o instanceof Tuple t)) throw bad("tensor at byte " + at + " has " + what + " " + describe(o));
        if (t.size() > MAX_DIMS) throw bad("tensor at byte " + at + " has " + t.size() + " dimensions");
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v) || v < 0)
                throw bad("tensor at byte " + at + " has " + what + " entry " + describe(t.get(i)) + ", not a non-negative integer");
            out[i] = v;
        }
        return out;
    }

    /** A short description of a value for messages; never its contents, which may be huge or cyclic. */
    static String describe(Object o) {
        return switch (o) {
            case null -> "None";
            case String s -> s.length() <= 40 ? "'" + s + "'" : "a string";
            case Long l -> Long.toString(l);
            case Boolean b -> b ? "True" : "False";
            case Double d -> Double.toString(d);
            case byte[] _ -> "bytes";
            case Tuple t -> "a tuple of " + t.size();
            case List<?> _ -> "a list";
            case Map<?, ?> _ -> "a dict";
            case TensorRef _ -> "a tensor";
            case Storage s -> "storage '" + s.key() + "'";
            case StorageType s -> s.name();
            case DTypeValue d -> d.name();
            case Function f -> f.name().toLowerCase(java.util.Locale.ROOT);
            default -> o == MARK ? "MARK" : o.getClass().getSimpleName();
        };
    }

    private static String opcodeName(int op) {
        String name = switch (op) {
            case 'c' -> "GLOBAL";
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 'P' -> "PERSID";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 0x92 -> "NEWOBJ_EX";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'F' -> "FLOAT";
            case 'S' -> "STRING";
            case 'V' -> "UNICODE";
            case 'g' -> "GET";
            case 'p' -> "PUT";
            default -> null;
        };
        String hex = String.format("0x%02x", op);
        return name == null ? hex : name + " (" + hex + ")";
    }
}
