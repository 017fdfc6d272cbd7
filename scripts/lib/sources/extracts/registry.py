"""The registry of real extracts: what each is, where it lives upstream, and the file versions we pin.

Each entry names its upstream repository and commit, and for every file the path in that
repository, the path relative to `extracts.path` (the local layout; `../shared/data` here holds all
five), and the sha256 of the pinned version. `verify_files` reads nothing but the files' bytes: a
missing file or a different version is an `ExtractError` whose one-line message names the file
(and both hashes). Adapters live in sibling modules named by `Entry.adapter`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.lib.sources.manifest import sha256_file


class ExtractError(ValueError):
    """A missing, changed or malformed extract file; the message names the file and the place in it."""

    def __init__(self, path: str, where: str, reason: str) -> None:
        super().__init__(f"{path}: {where}: {reason}")
        self.path, self.where, self.reason = path, where, reason


@dataclass(frozen=True)
class PinnedFile:
    """One file of an entry: its local path (relative to extracts.path), upstream path and sha256."""

    local: str
    upstream: str
    sha256: str


@dataclass(frozen=True)
class Entry:
    """One extract: a table another project published, pinned to one commit."""

    name: str
    repository: str
    commit: str
    files: tuple[PinnedFile, ...]
    licence: str
    citation: str
    attribution_required: bool = False

    def short(self) -> str:
        """'owner/name@commit7', for labels."""
        return f"{self.repository}@{self.commit[:7]}"


def _expemergence_file(task: str, tail: str, sha: str) -> PinnedFile:
    name = f"{task}/{task}_instance_brier_-1000_{tail}_3_redist.csv"
    return PinnedFile(f"real_multimetric/expemergence/data/{name}", f"data/{name}", sha)


ENTRIES: dict[str, Entry] = {
    "audit_table": Entry(
        name="audit_table",
        repository="PeterPonyu/calibration-traps",
        commit="f055de2fd1896a2b5338acc85d048ec35b716ebb",
        files=(
            PinnedFile(
                "real_excerpts/audit_table.json",
                "experiments/results/bigbench_audit/audit_table.json",
                "89cbd8bb8c891515060f0e3818cb262b3983e8e807f16c96bc7705d670366492",
            ),
        ),
        licence="Apache-2.0 (BIG-bench data)",
        citation="BIG-bench (Srivastava et al., 2022), as extracted by PeterPonyu/calibration-traps",
    ),
    "bigbench_csv": Entry(
        name="bigbench_csv",
        repository="smolix/benchmark-selection",
        commit="f339e73fead83337dba21ab78518df3e1fd40a05",
        files=(
            PinnedFile(
                "real_excerpts/bigbench.csv",
                "data/bigbench.csv",
                "714c6a1ab443f327566f67bec2c5a213deac687a32c3efb2177cfd37ee0d6a89",
            ),
        ),
        licence="Apache-2.0 (BIG-bench data)",
        citation="BIG-bench (Srivastava et al., 2022), as extracted by smolix/benchmark-selection",
    ),
    "expemergence": Entry(
        name="expemergence",
        repository="tony10101105/ExpEmergence",
        commit="288b731d68fbc0328de28d394af108da71a09d36",
        # One file per BIG-bench task: acc and brier do not depend on the grouping in the file name
        # (checked: every *_redist.csv of a task has the same acc and brier columns).
        files=(
            _expemergence_file(
                "abstract_narrative_understanding",
                "199.52623149688787",
                "d523591aeb57b3c9cd3c57b7e1eec5abc222826e86c8b44f75b48d10e2426772",
            ),
            _expemergence_file(
                "analogical_similarity", "100", "dacb2b49d07157d51f2a5e129f24e94b657599439cb07c713f9b1c5c50cd4f9f"
            ),
            _expemergence_file(
                "arithmetic", "63.09573444801933", "990cef13363f5fbfcc8a33146bc003cfe58ee2f949f10f479bfdd7bb364b833d"
            ),
            _expemergence_file(
                "conceptual_combinations",
                "31.622776601683793",
                "3c71a6db6efcbfbec399211be3b5669dcd0de72b5a00e78bc276a45276d5c688",
            ),
            _expemergence_file(
                "hindu_knowledge", "10", "818521e12187a42319542e54f2561640bbd4a674fc18eae418e9476233f60b0e"
            ),
            _expemergence_file(
                "parsinlu_qa_mc",
                "199.52623149688787",
                "52ad65393177b95ad280402ed0393e87b36184dbea46600a7bba3e7cce3bb4cf",
            ),
        ),
        licence="MIT",
        citation="Wu & Lo (2025), U-shaped and Inverted-U Scaling behind Emergent Abilities of LLMs, ICLR 2025",
    ),
    "expemergence_groups": Entry(
        name="expemergence_groups",
        repository="tony10101105/ExpEmergence",
        commit="288b731d68fbc0328de28d394af108da71a09d36",
        # The difficulty-group files, 3 and 10 groups of the 9 tasks, each at the task's emergence threshold
        # <cut> (upstream utils.py basic_parameter), read by difficulty_groups.py (docs/difficulty.md).
        files=tuple(
            PinnedFile(
                f"real_multimetric/expemergence/data/{task}/{task}_instance_brier_-1000_{cut}_{groups}_redist.csv",
                f"data/{task}/{task}_instance_brier_-1000_{cut}_{groups}_redist.csv",
                sha,
            )
            for (task, cut, groups), sha in (
                (
                    ("abstract_narrative_understanding", "199.52623149688787", 3),
                    "d523591aeb57b3c9cd3c57b7e1eec5abc222826e86c8b44f75b48d10e2426772",
                ),
                (
                    ("abstract_narrative_understanding", "199.52623149688787", 10),
                    "f209f7f0c338bc942415da78ff4927ffb3c5861e25268c9ebc1c52a9a2a13669",
                ),
                (
                    ("analogical_similarity", "100", 3),
                    "dacb2b49d07157d51f2a5e129f24e94b657599439cb07c713f9b1c5c50cd4f9f",
                ),
                (
                    ("analogical_similarity", "100", 10),
                    "9c1c9d9cf6c13eeae1cc4fcf3868ccdf00d7e23dc8349c872e340d0bf7307552",
                ),
                (("arc", "199.52623149688787", 3), "7112e7d30a0bb64f27b2723cb3f57b2dd1ba39846b2be61547f5f207246ea3de"),
                (("arc", "199.52623149688787", 10), "95017cb49464a9a36410142de6b1599d7ec0e341ef48f81c773669025695184f"),
                (
                    ("arithmetic", "63.09573444801933", 3),
                    "990cef13363f5fbfcc8a33146bc003cfe58ee2f949f10f479bfdd7bb364b833d",
                ),
                (
                    ("arithmetic", "63.09573444801933", 10),
                    "a7e71aefafd9cb69e94e2524981acb68e18228947c19516e2ba1a22c851ce89b",
                ),
                (
                    ("conceptual_combinations", "31.622776601683793", 3),
                    "3c71a6db6efcbfbec399211be3b5669dcd0de72b5a00e78bc276a45276d5c688",
                ),
                (
                    ("conceptual_combinations", "31.622776601683793", 10),
                    "0d9652889964c5f224ed383cc06f6f4cb412ebc0c87699bf9b269418ce280cc8",
                ),
                (
                    ("hellaswag", "199.52623149688787", 3),
                    "af2f038e0eb975f3145ac2b428398ca8ea0356e9795670aa4455cf5a3867cddb",
                ),
                (
                    ("hellaswag", "199.52623149688787", 10),
                    "fc8bfe8dfee343a3cb89fc98ee47623586963ed442ec0e881b42e8918f403136",
                ),
                (("hindu_knowledge", "10", 3), "818521e12187a42319542e54f2561640bbd4a674fc18eae418e9476233f60b0e"),
                (("hindu_knowledge", "10", 10), "49a7766ebc39836790bb9d2066356131d729c0a88b9488b982cf6be29d96f409"),
                (("mmlu", "31.622776601683793", 3), "37350117a2ee7ac270b8c8ff5792e99c2d2360cf63584a88676eb241606e907c"),
                (
                    ("mmlu", "31.622776601683793", 10),
                    "6a1875b8f439f282b6234c6c60795617aa16dfa09128a540de61f7d6cdbeabd8",
                ),
                (
                    ("parsinlu_qa_mc", "199.52623149688787", 3),
                    "52ad65393177b95ad280402ed0393e87b36184dbea46600a7bba3e7cce3bb4cf",
                ),
                (
                    ("parsinlu_qa_mc", "199.52623149688787", 10),
                    "659c91e09a628eeec4743a3fd8d68b7478a55d2a32b6e72183995933fbccf463",
                ),
            )
        ),
        licence="MIT",
        citation="Wu & Lo (2025), U-shaped and Inverted-U Scaling behind Emergent Abilities of LLMs, ICLR 2025",
    ),
    "obsscaling": Entry(
        name="obsscaling",
        repository="ryoungj/ObsScaling",
        commit="4d6e1e43fd2635d04654aa77d1df9d5266ea0382",
        files=(
            PinnedFile(
                "real_multimetric/obsscaling/eval_results/base_llm_emergent_capability_eval.csv",
                "eval_results/base_llm_emergent_capability_eval.csv",
                "a156beee73c39b7833c3c53535c473939105512d85e90b0143be7325e516ef7c",
            ),
            PinnedFile(
                "real_multimetric/obsscaling/eval_results/base_llm_benchmark_eval.csv",
                "eval_results/base_llm_benchmark_eval.csv",
                "511996815735a4c46251dc585dcc525e370d148201f86561e6f927f9df2d0db8",
            ),
        ),
        licence="Apache-2.0",
        citation="Ruan, Maddison & Hashimoto (2024), Observational Scaling Laws, NeurIPS 2024",
    ),
    "on_emergence": Entry(
        name="on_emergence",
        repository="UKPLab/on-emergence",
        commit="f791b653c42251a4dbd0bdc7a064c41ea0a3c51b",
        files=(
            PinnedFile(
                "real_multimetric/on_emergence/evaluation_scores.csv",
                "evaluation_scores.csv",
                "43159449c7c9a52e25f0f8499441f325ab72fbfdea55f51cf9547f3f24474a99",
            ),
        ),
        licence="CC BY-SA 4.0",
        citation="Lu et al. (2024), Are Emergent Abilities in Large Language Models just In-Context Learning?, ACL",
        attribution_required=True,
    ),
    "olmo_ladder": Entry(
        name="olmo_ladder",
        repository="allenai/OLMo-ladder",
        commit="67a3f440f787d020da35e3ca8eeae475fae754f5",
        # The runs and targets configs/final.json fits and predicts (the paper's main results), final.json
        # itself (each size's parameter count n), and the second seeds of the 1xC runs (the only measure of
        # run-to-run noise); adapter olmo_ladder.py, docs/ladder.md.
        files=(
            PinnedFile(
                "olmo_ladder/src/scripts/paper/configs/final.json",
                "src/scripts/paper/configs/final.json",
                "3fcb831b03e9761ab1be750f89c7a6b8832fda09c491d80bec8593ec9e08d1c8",
            ),
            *(
                PinnedFile(
                    f"olmo_ladder/src/scripts/paper/data/ladder-runs/{name}",
                    f"src/scripts/paper/data/ladder-runs/{name}",
                    sha,
                )
                for name, sha in (
                    ("190M-1xC.csv", "8ac0066547d5edec4d05d2b861a26c7faf591eef6971e11acba2450a45e69c27"),
                    ("190M-2xC.csv", "db90c75f8d031d0754e7108f1a8d16f372603e0c04d2cb00cca08cf272ecf86a"),
                    ("190M-5xC.csv", "aefe54fa03bd158d6da178b1eb2ece88cb0681bb32403845b6e544ae9e4e5dcf"),
                    ("190M-10xC.csv", "192b115c3f02b6503043280f8303c59f5b10897cd631f1b8ec6aea944d22faa6"),
                    ("370M-1xC.csv", "3597a61872596affbb61e83f36c7cc3fe43485c3ed30ba6d658064b57edcea07"),
                    ("370M-2xC.csv", "73c686e580ad0600ca12334bf22ab3dad3265583a948e3beaae5b79b9a20c137"),
                    ("370M-5xC.csv", "199905d322b0332b69f1d0a40de9be43e5eb3cf576fc1d3031578cdea09708fa"),
                    ("370M-10xC.csv", "3f25b4ec4035caeb71b787d165857667779dc3b92739c6379b8f8ce7079fcb58"),
                    ("760M-1xC.csv", "a830185275c91cc077379540ec91a71b4bea6f191ca99a8090c851be19e7956d"),
                    ("760M-2xC.csv", "8c1ad2bf7da390b9eed24af7b6eb12a6393cc077164d51b4e4740f7221f1193c"),
                    ("760M-5xC.csv", "9c08b58d2625f427253bbd2079bad3a90726a66486154dd4f82ef84560e275ec"),
                    ("760M-10xC.csv", "e256c9df6d3b7af66bbcf4dc7ca84b45a812bd205b70648ca5177c8b74f6ff40"),
                    ("1B-1xC.csv", "7fe91f0552829238e591e55c03f66b743ac5931388d9710457a845d92c2d9102"),
                    ("1B-2xC.csv", "34ba12a08a52e10e89a71d88a5c13538c3df21e5e993c476cadb08eb4b2eb354"),
                    ("1B-5xC.csv", "d195153f05b846f6d4f8ca95247d1f79d9d00e898d856b244b17e20431539ddb"),
                    ("1B-10xC.csv", "ec7e7487c67a774d9b919ec35121966ded7ae2ce5ede135f1d32f509f451476f"),
                    ("190M-1xC-rerun.csv", "50e635e970e4a29c838d644f942503f9ef6e0d78feb744055447413de42a3e2b"),
                    ("370M-1xC-rerun.csv", "e27c89356cc6c842585c0232bb3be20bd066c2d4f859d1a3c772c43e5b6887c7"),
                    ("760M-1xC-rerun.csv", "f5b2775ebc27c80f21e13e0bf35622007b8b30f09734ab0bb6f7e871bf33103b"),
                    ("1B-1xC-rerun.csv", "878e664acbb68df93b046a4242ccac12b321276e1f2fcbbbc6fa8779bd5eaa24"),
                    ("peteish7_eval_anneal.csv", "0742d6c113aa0f9c789cf9e5745678fc6f30eb9b873a1f98068fc6f6522c85df"),
                    ("peteish13_eval_final.csv", "8cbdd4c2818b05ff30476a9bd4ecae620da89193ca61183bc2d61e111a9d0059"),
                )
            ),
        ),
        licence="Apache-2.0",
        citation=(
            "Bhagia et al. (2024), Establishing Task Scaling Laws via Compute-Efficient Model Ladders, arXiv 2412.04403"
        ),
    ),
}
"""Every extract, by name (the order in which the rule runs them: audit_table before bigbench_csv)."""

EXCERPT_ENTRIES = ("audit_table", "bigbench_csv")
"""`source: excerpt` is `source: extracts` with these two (the BIG-bench scores extracts of docs/extracts.md)."""


def entries(names: Iterable[str]) -> list[Entry]:
    """The named entries in registry order; an unknown name is a ValueError listing the known ones."""
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in ENTRIES]
    if unknown:
        raise ValueError(f"config key 'extracts.use': unknown extract(s) {unknown}; known: {list(ENTRIES)}")
    return [ENTRIES[n] for n in ENTRIES if n in wanted]


def local_paths(entry: Entry, root: str | Path) -> dict[str, Path]:
    """upstream path -> local file under `root` (extracts.path)."""
    return {f.upstream: Path(root) / f.local for f in entry.files}


def missing_files(selected: Iterable[Entry], root: str | Path) -> list[Path]:
    """The files of the selected entries that are not under `root`."""
    return [Path(root) / f.local for e in selected for f in e.files if not (Path(root) / f.local).is_file()]


def verify_files(entry: Entry, root: str | Path) -> dict[str, str]:
    """Check every file of `entry` under `root` against its pin; return local path -> sha256.

    A missing file: ExtractError naming it and the key extracts.path. A different version:
    ExtractError naming the file and both hashes.
    """
    digests = {}
    for f in entry.files:
        path = Path(root) / f.local
        if not path.is_file():
            raise ExtractError(str(path), entry.name, "file not found (check config key extracts.path)")
        digest = sha256_file(path)
        if digest != f.sha256:
            raise ExtractError(
                str(path),
                entry.name,
                f"sha256 {digest} differs from the pinned {f.sha256} "
                f"({entry.repository}@{entry.commit[:12]}:{f.upstream})",
            )
        digests[str(path)] = digest
    return digests


def data_label(selected: Iterable[Entry]) -> str:
    """What every table and figure of an extracts run says about its numbers (licences where asked)."""
    parts = []
    for e in selected:
        licence = f"; {e.licence}, attribution: {e.citation}" if e.attribution_required else f"; {e.licence}"
        parts.append(f"{e.name} ({e.short()}{licence})")
    return "real scores, third-party extract: " + ", ".join(parts)


def entry_of_file(selected: Iterable[Entry]) -> Mapping[str, str]:
    """File name (as in source_file) -> entry name."""
    return {Path(f.local).name: e.name for e in selected for f in e.files}


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; a missing or unreadable file is an ExtractError naming it."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ExtractError(str(path), "$", "file not found (check config key extracts.path)") from None
    except OSError as exc:
        raise ExtractError(str(path), "$", f"cannot read: {exc.strerror or exc}") from None


def extract_files(names: Iterable[str], root: str | Path) -> list[str]:
    """The local paths (as strings, for Snakemake inputs) of every pinned file of the named entries."""
    return [str(Path(root) / f.local) for e in entries(names) for f in e.files]


def root_of(files: Sequence[str], selected: Sequence[Entry]) -> Path:
    """The extracts.path that `files` (as extract_files lists them for `selected`) sit under.

    Why: a rule gets its files as inputs, not the folder as a parameter (Snakemake's lint).
    """
    expected = [f.local for e in selected for f in e.files]
    if len(files) != len(expected):
        raise ValueError(f"{len(files)} files given, the extracts {[e.name for e in selected]} pin {len(expected)}")
    first = Path(files[0]).as_posix()
    if not first.endswith(expected[0]):
        raise ValueError(f"{files[0]}: not the registry path {expected[0]}")
    root = Path(first[: len(first) - len(expected[0])] or ".")
    for given, local in zip(files, expected, strict=True):
        if Path(given) != root / local:
            raise ValueError(f"{given}: expected {root / local} (files must follow the registry order)")
    return root
