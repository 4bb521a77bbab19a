# With regions: one `motifattn scan --partial` per shard, then one `motifattn merge`.
# Without regions: `scan --partial` per shard (phase 1: scores), `merge --phase threshold` (the cut-offs
# of the whole genome), `scan --partial --threshold --scored` per shard (phase 2: the analysis of the
# shard's chosen windows), then `merge`. Either way the merge gives the files of one `motifattn scan`.

SCAN_OPTIONS = ("--window {config[window]} --stride {config[stride]} --strand {config[strand]} "
                "{params.regions} {params.model} {params.motifs} {params.extra}")
# Paths and the shard are quoted for the shell ({...:q}): sequence names can hold "|".


def shard_region(wildcards):
    contig, start, end = SHARDS[wildcards.shard]
    return f"{contig}:{start + 1}-{end}"


SCAN_PARAMS = dict(
    region=shard_region,
    regions=optional("--regions", "regions"),
    model=optional("--model", "model"),
    motifs=optional("--motifs", "motifs"),
    extra=config.get("scan_extra", ""),
)

if HAS_REGIONS:

    rule scan_shard:
        input:
            genome=config["genome"],
        output:
            directory("{outdir}/parts/{shard}"),
        params:
            **SCAN_PARAMS,
        threads: config["threads"]
        log:
            "{outdir}/logs/scan_{shard}.log",
        shell:
            "{config[motifattn]} scan {input.genome:q} --partial --shard {params.region:q} " + SCAN_OPTIONS
            + " --threads {threads} --quiet --out {output:q} 2> {log:q}"

else:

    rule score_shard:
        input:
            genome=config["genome"],
        output:
            temp(directory("{outdir}/scored/{shard}")),
        params:
            **SCAN_PARAMS,
        threads: config["threads"]
        log:
            "{outdir}/logs/score_{shard}.log",
        shell:
            "{config[motifattn]} scan {input.genome:q} --partial --shard {params.region:q} " + SCAN_OPTIONS
            + " --threads {threads} --quiet --out {output:q} 2> {log:q}"

    rule threshold:
        input:
            expand("{{outdir}}/scored/{shard}", shard=sorted(SHARDS)),
        output:
            "{outdir}/threshold/threshold.tsv",
        log:
            "{outdir}/logs/threshold.log",
        shell:
            "{config[motifattn]} merge --phase threshold {input:q} --out {wildcards.outdir:q}/threshold 2> {log:q}"

    rule analyse_shard:
        input:
            genome=config["genome"],
            scored="{outdir}/scored/{shard}",
            threshold="{outdir}/threshold/threshold.tsv",
        output:
            directory("{outdir}/parts/{shard}"),
        params:
            **SCAN_PARAMS,
        threads: config["threads"]
        log:
            "{outdir}/logs/analyse_{shard}.log",
        shell:
            "{config[motifattn]} scan {input.genome:q} --partial --shard {params.region:q} " + SCAN_OPTIONS
            + " --threshold {input.threshold:q} --scored {input.scored:q} --threads {threads} --quiet --out {output:q} 2> {log:q}"


rule merge:
    input:
        expand("{{outdir}}/parts/{shard}", shard=sorted(SHARDS)),
    output:
        [f"{{outdir}}/{name}" for name in FINAL_FILES],
    threads: config["threads"]
    log:
        "{outdir}/logs/merge.log",
    shell:
        "{config[motifattn]} merge {input:q} --threads {threads} --out {wildcards.outdir:q} 2> {log:q}"
