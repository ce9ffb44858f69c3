using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;

namespace AutoDiff.Gpu.Checkpoints;

/// <summary>
/// The whole state of a training run in one safetensors file, so that a run stopped after k steps and resumed gives
/// bit for bit the parameters of the run that never stopped: the model's parameters and buffers, the optimizer's
/// hyperparameters, hooks, step counts and state tensors, the device's random generator, and the data loader's
/// epoch, order and position. Tensors are named <c>model/…</c>, <c>optimizer/…/0</c> and <c>loader/order</c>; the
/// rest is JSON in the header's metadata. Saving is atomic; loading checks everything before it changes anything.
/// </summary>
/// <example><code>
/// Checkpoint.Save("run.safetensors", model, optimizer, loader);
/// // … in a new process, after building the same model and calling it once:
/// Checkpoint.Load("run.safetensors", model, optimizer, loader);
/// </code></example>
public static partial class Checkpoint
{
    private const string MetadataKey = "autodiff.gpu.checkpoint";
    private const int Version = 1;

    /// <summary>
    /// Saves the state of <paramref name="model"/> and, when given, of <paramref name="optimizer"/> (for the model's
    /// parameters), <paramref name="loader"/> and <paramref name="random"/> (by default the random generator of the
    /// device of the model's first parameter) to <paramref name="path"/>, replacing it atomically.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter of the model is not made yet.</exception>
    /// <exception cref="ObjectDisposedException">A tensor to save was disposed (nothing is written).</exception>
    public static void Save(
        string path, Layer model, Optimizer? optimizer = null, DataLoader? loader = null, RandomGenerator? random = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        model.Wanted("Checkpoint.Save");
        var parameters = model.NamedParams().ToList();
        random ??= parameters.FirstOrDefault().Parameter?.Device.Random;
        List<(string Name, Tensor Tensor)> tensors = [.. parameters.Select(p => ($"model/{p.Name}", p.Parameter.Data)), .. model.NamedBuffers().Select(b => ($"model/{b.Name}", b.Buffer))];
        using var meta = new MemoryStream();
        using (var json = new Utf8JsonWriter(meta))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            if (optimizer is not null)
                WriteOptimizer(json, optimizer, parameters, tensors);
            if (random is not null)
            {
                var state = random.State;
                json.WriteStartObject("random");
                json.WriteNumber("seed", state.Seed);
                json.WriteNumber("streams", state.Streams);
                json.WriteEndObject();
            }
            if (loader is not null)
            {
                var state = loader.State;
                json.WriteStartObject("loader");
                json.WriteNumber("seed", state.Seed);
                json.WriteNumber("epochs", state.Epochs);
                json.WriteNumber("batches", state.Batches);
                json.WriteBoolean("ordered", state.Order is not null);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        Layer.ThrowIfDisposed(path, tensors);
        List<SafeTensors.Entry> entries = [.. tensors.Select(t => SafeTensors.Of(t.Name, t.Tensor))];
        if (loader?.State.Order is { } order)
        {
            var bytes = new byte[order.Length * sizeof(int)];
            for (int i = 0; i < order.Length; i++)
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), order[i]);
            entries.Add(new SafeTensors.Entry("loader/order", "I32", [order.Length], bytes));
        }
        var metadata = new Dictionary<string, string> { [MetadataKey] = Encoding.UTF8.GetString(meta.ToArray()) };
        SafeTensors.Write(path, entries, metadata);
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/> (called once, so that its parameters are made) and, when
    /// given, <paramref name="optimizer"/> (of the saved type), <paramref name="loader"/> (over the same rows) and
    /// <paramref name="random"/> (by default the generator of the device of the model's first parameter). Every part
    /// is read and checked first; nothing changes unless all of it fits.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter of the model is not made yet.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a checkpoint, lacks a part asked for, or does not fit the objects given; the message names the
    /// file and the part.
    /// </exception>
    public static void Load(
        string path, Layer model, Optimizer? optimizer = null, DataLoader? loader = null, RandomGenerator? random = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        var wanted = model.Wanted("Checkpoint.Load");
        using var reader = new SafeTensors.Reader(path);
        if (!reader.Metadata.TryGetValue(MetadataKey, out var text))
            throw new InvalidDataException($"{path} is not a checkpoint: its metadata has no '{MetadataKey}'");
        using var meta = Parse(path, text);
        try
        {
            Restore(path, reader, meta.RootElement, model, wanted, optimizer, loader, random);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the checkpoint's metadata holds a value that does not fit: {e.Message}", e);
        }
    }

    /// <summary>Checks every part of the checkpoint, puts its tensors on the devices, then changes everything.</summary>
    private static void Restore(
        string path,
        SafeTensors.Reader reader,
        JsonElement root,
        Layer model,
        List<(string Name, Shape Shape)> wanted,
        Optimizer? optimizer,
        DataLoader? loader,
        RandomGenerator? random)
    {
        var parameters = model.NamedParams().ToList();
        random ??= parameters.FirstOrDefault().Parameter?.Device.Random;
        if (Get(path, root, "version").GetInt32() != Version)
            throw new InvalidDataException($"{path}: checkpoint version {Get(path, root, "version").GetRawText()}, not {Version}");

        // Read and check every part.
        var headers = wanted.Select(w => reader.Find($"model/{w.Name}", w.Shape, "F32", "F64")).ToList();
        var restoreOptimizer = optimizer is null
            ? null
            : ReadOptimizer(path, reader, Get(path, root, "optimizer"), optimizer, parameters);
        RandomState? randomState = null;
        if (random is not null)
        {
            var r = Get(path, root, "random");
            randomState = new RandomState(Get(path, r, "seed").GetUInt64(), Get(path, r, "streams").GetUInt64());
        }
        var loaderState = loader is null ? null : ReadLoader(path, reader, Get(path, root, "loader"), loader);

        // Put everything on the devices (the optimizer's settings are put back if that fails), then change it all.
        var values = headers.ToDictionary(h => h.Name, reader.ReadValues, StringComparer.Ordinal);
        var commitModel = model.Prepare(name => values[$"model/{name}"]);
        var commitOptimizer = restoreOptimizer?.Invoke();
        commitOptimizer?.Invoke();
        commitModel();
        if (loader is not null)
            loader.State = loaderState!;
        if (random is not null)
            random.State = randomState!.Value;
    }

    /// <summary>The saved loader state, checked against <paramref name="loader"/> (its rows and batches).</summary>
    private static DataLoaderState ReadLoader(string path, SafeTensors.Reader reader, JsonElement part, DataLoader loader)
    {
        int[]? order = null;
        if (Get(path, part, "ordered").GetBoolean())
        {
            var h = reader.Find("loader/order", new Shape(RowsOf(reader)), "I32");
            var bytes = reader.Read(h);
            order = new int[h.Shape.Length];
            for (int i = 0; i < order.Length; i++)
                order[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * sizeof(int)));
        }
        var state = new DataLoaderState(
            Get(path, part, "seed").GetInt32(), Get(path, part, "epochs").GetInt64(), order, Get(path, part, "batches").GetInt32());
        var before = loader.State;
        try
        {
            loader.State = state;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the loader's state does not fit this loader: {e.Message}", e);
        }
        finally
        {
            loader.State = before;
        }
        return state;
    }

    /// <summary>The row count of the saved loader order.</summary>
    private static int RowsOf(SafeTensors.Reader reader) =>
        reader.Entries.TryGetValue("loader/order", out var h) && h.Shape.Rank == 1 ? h.Shape[0] : 0;

    private static void WriteOptimizer(
        Utf8JsonWriter json, Optimizer optimizer, List<(string Name, Variable Parameter)> parameters, List<(string Name, Tensor Tensor)> tensors)
    {
        json.WriteStartObject("optimizer");
        json.WriteString("type", optimizer.GetType().FullName);
        json.WriteStartObject("settings");
        foreach (var (name, value) in optimizer.Settings())
            json.WriteNumber(name, value);
        json.WriteEndObject();
        json.WriteStartArray("hooks");
        foreach (var hook in OwnHooks(optimizer))
        {
            json.WriteStartObject();
            json.WriteString("type", hook.GetType().FullName);
            if (hook is WeightDecay decay)
                json.WriteNumber("rate", decay.Rate);
            if (hook is ClipGrad clip)
            {
                json.WriteNumber("maxNorm", clip.MaxNorm);
                json.WriteBoolean("errorIfNonfinite", clip.ErrorIfNonfinite);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartObject("steps");
        foreach (var (name, p) in parameters)
        {
            var (steps, states) = optimizer.SavedState(p);
            json.WriteNumber(name, steps);
            for (int i = 0; i < states.Length; i++)
                tensors.Add(($"optimizer/{name}/{i}", states[i]));
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Checks the optimizer part against <paramref name="optimizer"/>; returns the step that puts its tensors on the
    /// devices and sets its hyperparameters (undone if it fails), which returns the step that changes the rest.
    /// </summary>
    private static Func<Action> ReadOptimizer(
        string path, SafeTensors.Reader reader, JsonElement part, Optimizer optimizer, List<(string Name, Variable Parameter)> parameters)
    {
        string type = Get(path, part, "type").GetString()!;
        if (type != optimizer.GetType().FullName)
            throw new InvalidDataException($"{path}: the checkpoint's optimizer is {type}, not {optimizer.GetType().FullName}");
        var settings = Get(path, part, "settings").EnumerateObject().Select(s => (s.Name, Value: s.Value.GetDouble())).ToList();
        var hooks = Get(path, part, "hooks").EnumerateArray().Select((h, i) => Hook(path, h, i, optimizer)).ToList();
        var steps = Get(path, part, "steps");
        var saved = new List<(Variable Parameter, long Steps, SafeTensors.Header[] Tensors)>();
        foreach (var (name, p) in parameters)
        {
            long count = Get(path, steps, name).GetInt64();
            var states = Enumerable.Range(0, 2)
                .TakeWhile(i => reader.Entries.ContainsKey($"optimizer/{name}/{i}"))
                .Select(i => reader.Find($"optimizer/{name}/{i}", p.Shape, "F32", "F64")).ToArray();
            saved.Add((p, count, states));
        }
        return () =>
        {
            var before = optimizer.Settings();
            try
            {
                foreach (var (name, value) in settings)
                    optimizer.SetSetting(name, value);
                var tensors = saved.Select(s => s.Tensors.Select(h => Layer.Upload(reader.ReadValues(h), s.Parameter.Data)).ToArray()).ToList();
                return () =>
                {
                    for (int i = 0; i < saved.Count; i++)
                        optimizer.RestoreState(saved[i].Parameter, saved[i].Steps, tensors[i]);
                    optimizer.Hooks.Clear();
                    foreach (var hook in hooks.Prepend(optimizer.TargetHook).OfType<IOptimizerHook>())
                        optimizer.Hooks.Add(hook);
                };
            }
            catch (Exception e) when (e is System.Reflection.TargetInvocationException or InvalidDataException)
            {
                foreach (var (name, value) in before)
                    optimizer.SetSetting(name, value);
                throw new InvalidDataException($"{path}: the optimizer's hyperparameters do not fit {type}: {(e.InnerException ?? e).Message}", e.InnerException ?? e);
            }
            catch
            {
                foreach (var (name, value) in before)
                    optimizer.SetSetting(name, value);
                throw;
            }
        };
    }

    /// <summary>
    /// The saved hook at <paramref name="index"/>: rebuilt when it is built in, else the optimizer's own of that type.
    /// </summary>
    private static IOptimizerHook Hook(string path, JsonElement hook, int index, Optimizer optimizer)
    {
        string type = Get(path, hook, "type").GetString()!;
        if (type == typeof(WeightDecay).FullName)
            return new WeightDecay(Get(path, hook, "rate").GetDouble());
        if (type == typeof(ClipGrad).FullName)
            return new ClipGrad(Get(path, hook, "maxNorm").GetDouble(), Get(path, hook, "errorIfNonfinite").GetBoolean());
        var own = OwnHooks(optimizer);
        return index < own.Count && own[index].GetType().FullName == type
            ? own[index]
            : throw new InvalidDataException($"{path}: hook {index} is a {type}, which the optimizer given does not have there: add it before loading");
    }

    /// <summary>The hooks a checkpoint keeps: all but the model's own, which setting up the optimizer adds.</summary>
    private static List<IOptimizerHook> OwnHooks(Optimizer optimizer) =>
        [.. optimizer.Hooks.Where(h => !ReferenceEquals(h, optimizer.TargetHook))];

    private static JsonDocument Parse(string path, string text)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's metadata is not JSON: {e.Message}", e);
        }
    }

    /// <summary>The member <paramref name="name"/> of an object; a clear error when it is missing.</summary>
    private static JsonElement Get(string path, JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new InvalidDataException($"{path}: the checkpoint has no '{name}' where it was expected");
}
