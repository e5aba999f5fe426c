/** The lines a fault scenario showed the user, collected under .wfp/ as the source of docs/reliability.md's quotes. */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export class ScenarioReport {
  constructor(readonly file: string) {}

  /** Empties the report; call once before the scenarios run. */
  start(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, "");
  }

  add(title: string, lines: string[]): void {
    appendFileSync(this.file, `## ${title}\n${[...new Set(lines)].join("\n")}\n\n`);
  }
}
