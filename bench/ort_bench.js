// ort_bench.js - times an ONNX model with ONNX Runtime (onnxruntime-node, CPU provider).
// usage: node ort_bench.js MODEL.onnx INPUT.bin SIZE THREADS RUNS WARMUP OUTPUT.bin
// Prints one JSON line {"engine":"onnxruntime","threads","median_ms","min_ms"} and writes the
// output tensor as raw float32 for the agreement check.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
    const [model, input, size, threads, runs, warmup, output] = process.argv.slice(2);
    const n = Number(size);
    const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: Number(threads),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
    });
    const buf = fs.readFileSync(input);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, n, n])};
    let result;
    for (let i = 0; i < Number(warmup); i++) result = await session.run(feeds);
    const times = [];
    for (let i = 0; i < Number(runs); i++) {
        const t0 = process.hrtime.bigint();
        result = await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    const out = result[session.outputNames[0]].data;
    fs.writeFileSync(output, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    console.log(JSON.stringify({engine: 'onnxruntime', threads: Number(threads),
                                median_ms: median, min_ms: times[0]}));
}
main().catch((e) => { console.error('ort_bench: ' + e.message); process.exit(1); });
