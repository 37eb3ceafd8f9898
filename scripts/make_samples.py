"""Writes data/sample_employees.csv and data/sample_mentorships.csv from a small demo company."""
from pathlib import Path

from analytics.intake.demo import DemoConfig, generate

DATA = Path(__file__).resolve().parent.parent / "data"


def main() -> None:
    demo = generate(DemoConfig(n_employees=300, seed=7))
    for name, frame in (("employees", demo.employees), ("mentorships", demo.mentorships)):
        out = frame.copy()
        for col in out.columns:
            if col.endswith("_date"):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_csv(DATA / f"sample_{name}.csv", index=False)


if __name__ == "__main__":
    main()
