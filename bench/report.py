"""bench/results/: results.json, summary.md and latency.png."""

from __future__ import annotations

import json
import time
from pathlib import Path

TARGETS = ("Targets: one conversation, knowledge-base replies p95 ≤ 100 ms; 20 conversations p95 ≤ 300 ms, "
           "≥ 40 msg/s, 0 errors; our p50 ≤ 1.5 × baseline at every level; Rasa server peak ≤ 1.2 GB; "
           "cold start ≤ 30 s; training from scratch ≤ 3 min; the worst crafted 2,000-character message ≤ 5 × "
           "an ordinary one's CPU.")


def _ratio(ours: float | None, base: float | None) -> str:
    return f"{ours / base:.2f}" if ours and base else "–"


def _machine_speed(machine: dict) -> str:
    if "python_loop_s_before" not in machine:
        return ""
    return (f"Machine speed: a fixed pure-Python loop took {machine['python_loop_s_before']} s before the run and "
            f"{machine.get('python_loop_s_after', '–')} s after (lower is faster; compare runs by it).")


def summary_markdown(report: dict) -> str:
    ours, base = report["ours"], report.get("baseline")
    lines = [f"# Benchmark ({report['backend']} backend, {report['machine']['cpus']} cores, "
             f"{report['seconds_per_level']:.0f} s per level)", "", f"Run: {report['finished']}", "",
             _machine_speed(report["machine"]), "",
             "| users | msg/s | errors | p50 ms | p95 ms | p99 ms | baseline p50 | baseline p95 "
             "| p50 ratio | p95 ratio |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for index, level in enumerate(ours["levels"]):
        other = base["levels"][index]["all"] if base else {}
        lines.append(f"| {level['users']} | {level['throughput_per_s']} | {level['errors']} | "
                     f"{level['all'].get('p50_ms')} | {level['all'].get('p95_ms')} | {level['all'].get('p99_ms')} | "
                     f"{other.get('p50_ms', '–')} | {other.get('p95_ms', '–')} | "
                     f"{_ratio(level['all'].get('p50_ms'), other.get('p50_ms'))} | "
                     f"{_ratio(level['all'].get('p95_ms'), other.get('p95_ms'))} |")
    lines += ["", "CPU time per message, ours (Rasa server + action server, ms): "
              + ", ".join(f"{level['users']} users {level['cpu_ms_per_message'].get('rasa')} + "
                          f"{level['cpu_ms_per_message'].get('actions')}"
                          for level in ours["levels"] if level.get("cpu_ms_per_message")) + "."]
    lines += ["", "By reply kind (ours):", "", "| users | kind | count | p50 ms | p95 ms | p99 ms |",
              "|---:|---|---:|---:|---:|---:|"]
    for level in ours["levels"]:
        for kind, figures in level["by_kind"].items():
            lines.append(f"| {level['users']} | {kind} | {figures['count']} | {figures['p50_ms']} | "
                         f"{figures['p95_ms']} | {figures['p99_ms']} |")
    lines += ["", "| | ours | baseline |", "|---|---:|---:|",
              f"| cold start (s) | {ours['cold_start_s']} | {base['cold_start_s'] if base else '–'} |",
              f"| Rasa server peak memory (MB) | {ours['memory']['rasa_server_peak_mb']} | "
              f"{base['memory']['rasa_server_peak_mb'] if base else '–'} |",
              f"| action server peak memory (MB) | {ours['memory'].get('action_server_peak_mb', '–')} | – |",
              f"| training from scratch (s) | {ours.get('training_from_scratch_s', '–')} | "
              f"{base.get('init_and_training_s', '–') if base else '–'} (rasa init, incl. training) |",
              ""]
    long = ours.get("long_conversation")
    if long:
        lines += ["Long conversation (one patient, "
                  f"{long['turns']} messages): median turn time "
                  + ", ".join(f"{ms} ms at message {point}" for point, ms in long["turn_ms_at_message"].items())
                  + " (" + ", ".join(f"{ratio}×" for ratio in long["ratio_to_message_10"].values())
                  + " of message 10; target ≤ 1.5×).", ""]
    crafted = ours.get("adversarial")
    if crafted:
        lines += [f"Crafted 2,000-character messages (Rasa server CPU ms a message, each sent {crafted['times']} "
                  f"times): ordinary {crafted['ordinary_rasa_cpu_ms']}, worst crafted "
                  f"{crafted['crafted_rasa_cpu_ms'][crafted['worst']]} ({crafted['worst']}), "
                  f"{crafted['worst_ratio']}× (target ≤ {crafted['target_ratio']}×).", "",
                  "| crafted message | Rasa CPU ms | × ordinary |", "|---|---:|---:|"]
        lines += [f"| {name} | {ms} | {_ratio(ms, crafted['ordinary_rasa_cpu_ms'])} |"
                  for name, ms in crafted["crafted_rasa_cpu_ms"].items()]
        lines += [""]
    lines += [TARGETS, ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    for name, style in (("ours", "-"), ("baseline", "--")):
        if name not in report:
            continue
        users = [level["users"] for level in report[name]["levels"]]
        for percentile, marker in (("p50_ms", "o"), ("p95_ms", "s")):
            axes.plot(users, [level["all"].get(percentile) for level in report[name]["levels"]], style,
                      marker=marker, label=f"{name} {percentile[:3]}")
    axes.set_xlabel("concurrent conversations")
    axes.set_ylabel("reply latency (ms)")
    axes.set_xscale("log")
    axes.set_xticks(report["levels"], [str(users) for users in report["levels"]])
    axes.set_title(f"Reply latency against concurrent conversations ({report['backend']})")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(report: dict, folder: Path) -> None:
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    (folder / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / "summary.md").write_text(summary_markdown(report))
    plot(report, folder / "latency.png")
