"""Interval width and coverage of calibrated trend estimates against the calibration sample size.

Prints the markdown table of the README section "How many labels do I need?":

    python scripts/calibration_widths.py --reps 200
"""

from __future__ import annotations

import argparse

from pipeline.trends.simulate import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--sizes", default="25,50,100,200,400")
    parser.add_argument("--population", type=int, default=2000)
    parser.add_argument("--accuracy", type=float, default=0.7)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    print(f"Synthetic corpus of {args.population} segments, classifier accuracy {args.accuracy}, shifted prior; "
          f"{args.reps} repetitions per row; estimator auto (ppi).\n")
    print("| labels | ± rung 0 | ± rung ≥ 3 | ± mean rung | coverage rung 0 | coverage rung ≥ 3 | coverage mean rung "
          "| abs. error rung 0 | abs. error rung ≥ 3 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cc = None
    for n in (int(s) for s in args.sizes.split(",")):
        r = simulate(reps=args.reps, n_labels=n, n_population=args.population, accuracy=args.accuracy, bootstrap=args.bootstrap)
        cc = r
        print(f"| {n} | {r.width['share_rung_0'] / 2:.3f} | {r.width['share_ge3'] / 2:.3f} | {r.width['mean_rung'] / 2:.2f} "
              f"| {r.coverage['share_rung_0']:.0%} | {r.coverage['share_ge3']:.0%} | {r.coverage['mean_rung']:.0%} "
              f"| {r.error['share_rung_0']:.3f} | {r.error['share_ge3']:.3f} |", flush=True)
    if cc is not None:
        print(f"| none (cc, Wilson) | | | | {cc.cc_coverage['share_rung_0']:.0%} | {cc.cc_coverage['share_ge3']:.0%} | - "
              f"| {cc.cc_error['share_rung_0']:.3f} | {cc.cc_error['share_ge3']:.3f} |")

if __name__ == "__main__":
    main()
