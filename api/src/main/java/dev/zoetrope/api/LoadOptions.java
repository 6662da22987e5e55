package dev.zoetrope.api;

/**
 * How {@link Zoetrope#load} opens a model.
 *
 * @param device   {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto} (a GPU when there is one)
 * @param dtype    {@code auto} (as stored on the CPU, bf16 on a GPU), {@code bf16} or {@code f32}: the DiT and text
 *                 encoder are cast to it as they load
 * @param revision with a hub repo id: the branch, tag or commit (null: {@code main})
 */
public record LoadOptions(String device, String dtype, String revision) {
    public static final LoadOptions DEFAULT = new LoadOptions("cpu", "auto", null);

    public LoadOptions {
        if (device == null || device.isBlank()) device = "cpu";
        if (dtype == null || dtype.isBlank()) dtype = "auto";
    }

    public LoadOptions withDevice(String d) {
        return new LoadOptions(d, dtype, revision);
    }

    public LoadOptions withDtype(String d) {
        return new LoadOptions(device, d, revision);
    }

    public LoadOptions withRevision(String r) {
        return new LoadOptions(device, dtype, r);
    }
}
