"""The GitHub client: any repository, a pinned commit, selected paths, verified into a cache.

Entry points (read their docstrings):
    download_folder(repo=, commit=, patterns=, cache=, ...) -> FolderDownload
    download_pinned_file(repo=, commit=, path=, sha256=, cache=, ...) -> Path
    scripts.lib.sources.github.refs.resolve_ref(repo=, ref=, cache_dir=, ...) -> commit sha (cached on disk)
Modules: client (session, retries, rate limits, token rules), tree (listing and path patterns,
the truncated-listing walk), fetch (parallel verified downloads), download (the entry points),
refs (ref -> sha and its cache, for DAG-build time). refs is not imported here: it uses the
workflow config helpers, and a rule that downloads should not rerun when those change.
DownloadError is the one exception a user sees (Unreachable, its kind for no connection at all).
"""

from scripts.lib.sources.github.client import GITHUB_API, GITHUB_RAW, DownloadError, GitHubClient, Unreachable
from scripts.lib.sources.github.download import FolderDownload, download_folder, download_pinned_file
from scripts.lib.sources.github.fetch import FetchStats, fetch_entries, git_blob_sha_file
from scripts.lib.sources.github.tree import TreeEntry, list_tree, select_entries, split_patterns

__all__ = [
    "GITHUB_API",
    "GITHUB_RAW",
    "DownloadError",
    "FetchStats",
    "FolderDownload",
    "GitHubClient",
    "TreeEntry",
    "Unreachable",
    "download_folder",
    "download_pinned_file",
    "fetch_entries",
    "git_blob_sha_file",
    "list_tree",
    "select_entries",
    "split_patterns",
]
