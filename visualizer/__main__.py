from visualizer.cli import main

raise SystemExit(main())
