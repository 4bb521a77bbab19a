# One `motifattn scan --partial` per shard, then one `motifattn merge`.

rule scan_shard:
    input:
        genome=config["genome"],
    output:
        directory("{outdir}/parts/{shard}"),
    params:
        region=lambda w: "{}:{}-{}".format(SHARDS[w.shard][0], SHARDS[w.shard][1] + 1, SHARDS[w.shard][2]),
        regions=optional("--regions", "regions"),
        model=optional("--model", "model"),
        motifs=optional("--motifs", "motifs"),
        extra=config.get("scan_extra", ""),
    threads: config["threads"]
    log:
        "{outdir}/logs/scan_{shard}.log",
    shell:
        "{config[motifattn]} scan {input.genome} --partial --shard {params.region} "
        "--window {config[window]} --stride {config[stride]} --strand {config[strand]} "
        "{params.regions} {params.model} {params.motifs} {params.extra} "
        "--threads {threads} --quiet --out {output} 2> {log}"


rule merge:
    input:
        expand("{{outdir}}/parts/{shard}", shard=sorted(SHARDS)),
    output:
        [f"{{outdir}}/{name}" for name in FINAL_FILES],
    log:
        "{outdir}/logs/merge.log",
    shell:
        "{config[motifattn]} merge {input} --out {wildcards.outdir} 2> {log}"
