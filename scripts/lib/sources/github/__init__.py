"""The GitHub client: any repository, a pinned commit, selected paths, verified into a cache.

Entry points (read their docstrings):
    download_folder(repo=, commit=, patterns=, cache=, ...) -> FolderDownload
    download_pinned_file(repo=, commit=, path=, sha256=, cache=, ...) -> Path
    scripts.lib.sources.github.refs.resolve_ref(repo=, ref=, cache_dir=, ...) -> commit sha (cached on disk)
Modules: client (session, retries, rate limits, token rules), tree (listing and path patterns,
the truncated-listing walk), fetch (parallel verified downloads), download (the entry points),
refs (ref -> sha and its cache, for DAG-build time). Import from the modules: this package file
imports none of them, so the Snakefile's use of client (is_commit_sha, repo_slug) does not load
the downloader and pandas at every snakemake start.
DownloadError is the one exception a user sees (Unreachable, its kind for no connection at all).
"""
