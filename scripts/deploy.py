#!/usr/bin/env python3
"""Deploy the ledger to a chain, or verify a recorded deployment: same as `scf deploy`.

    SCF_DEPLOYER_PASSPHRASE=... scripts/deploy.py --rpc http://127.0.0.1:8545 \\
        --name consortium --keystore deployer.json
"""

from scfledger.chain.deploy_cli import main

if __name__ == "__main__":
    main()
