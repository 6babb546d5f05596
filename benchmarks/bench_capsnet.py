"""capsnet's training step against the zoo cnn's, at the same batch size and image size.

Both steps are what `groundup train` runs: forward, loss, backward, Adam step. capsnet:
conv, primary capsules, digit capsules with 3 routing iterations, the reconstruction
decoder masked by the true class, margin + reconstruction loss. cnn: the VGG-style
network (BatchNorm, dropout), cross-entropy, at its default widths (32, 64, 128: half
capsnet's parameters on 8x8 images) and widened to 48, 96, 192 (about capsnet's number).
All on the same batches of random images, with their default sizes for the image size
(8x8: the bundled digits; 28x28: MNIST), in one process with the given number of
threads, timed in alternating blocks. Prints the
parameter counts, the median ms per step of each (with quartiles over the blocks) and the
ratios capsnet / cnn; with --detach also capsnet with detach_routing=True.

    python benchmarks/bench_capsnet.py                  # 8x8, batch 64, 1 thread
    python benchmarks/bench_capsnet.py --size 28 --batch 32 --threads 2
"""

import argparse

import harness


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8, help="image height and width")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--steps", type=int, default=5, help="steps per timed block")
    parser.add_argument("--detach", action="store_true", help="also capsnet, detach_routing")
    args = parser.parse_args()
    harness.set_threads(args.threads)

    import numpy as np

    import groundup as gu
    from groundup.models.capsnet import CapsNetLoss

    shape = [1, args.size, args.size]
    rng = np.random.default_rng(0)
    batches = [(gu.tensor(rng.uniform(0, 1, (args.batch, *shape)).astype(np.float32)),
                gu.tensor(rng.integers(0, 10, args.batch))) for _ in range(4)]

    def capsnet_step(model):
        opt = gu.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = CapsNetLoss()

        def step(i):
            x, y = batches[i % len(batches)]
            scores, recon = model.forward_with_reconstruction(x, y)
            loss = loss_fn.terms(scores, recon, x, y)[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step

    def cnn_step(model):
        opt = gu.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = gu.nn.CrossEntropyLoss()

        def step(i):
            x, y = batches[i % len(batches)]
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step

    gu.manual_seed(0)
    models = {"capsnet": gu.models.build("capsnet", input_shape=shape),
              "cnn": gu.models.build("cnn", input_shape=shape),
              "cnn wide": gu.models.build("cnn", input_shape=shape, channels=[48, 96, 192])}
    if args.detach:
        models["capsnet detach"] = gu.models.build("capsnet", input_shape=shape,
                                                   detach_routing=True)
    steps = {name: (capsnet_step if name.startswith("capsnet") else cnn_step)(model)
             for name, model in models.items()}
    times = {name: [] for name in models}
    for step in steps.values():
        harness.time_blocks(step, args.batch, warmup=3, blocks=0, steps=0)
    for _ in range(args.blocks):  # alternate, so load changes hit every model alike
        for name, step in steps.items():
            rate = harness.time_blocks(step, args.batch, warmup=0, blocks=1, steps=args.steps)[0]
            times[name].append(1e3 * args.batch / rate)
    print(f"images {args.size}x{args.size}, batch {args.batch}, {args.threads} thread(s), "
          f"{args.blocks} blocks of {args.steps} steps")
    for name, model in models.items():
        params = sum(p.array.size for p in model.parameters())
        med, low, high = harness.quartiles(times[name])
        print(f"  {name:<15} {params:>9,d} parameters  {med:7.1f} ms/step  "
              f"(quartiles {low:.1f}-{high:.1f})")
    for other in ("cnn", "cnn wide"):
        ratio = harness.quartiles([a / b for a, b in zip(times["capsnet"], times[other])])
        print(f"  capsnet / {other} step time: {ratio[0]:.2f}x "
              f"(quartiles {ratio[1]:.2f}-{ratio[2]:.2f})")


if __name__ == "__main__":
    main()
