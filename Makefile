# The original's targets, kept: make up / down / deploy / get / delete, plus test.
# `make up` builds, makes sure Docker runs and the demo image exists, then starts the all-in-one.
ORCHESTRA := node dist/src/cli/main.js
name ?=
image ?=
replicas ?= 1

.PHONY: build up down deploy get delete test image lint

node_modules: package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

build: node_modules
	npm run build

image:
	scripts/ensure-system.sh
	scripts/build-demo-image.sh

up: build image
	$(ORCHESTRA) up

down: build
	$(ORCHESTRA) down

deploy: build
	@test -n "$(name)" || { echo "usage: make deploy name=NAME image=IMAGE [replicas=N]" >&2; exit 2; }
	@test -n "$(image)" || { echo "usage: make deploy name=NAME image=IMAGE [replicas=N]" >&2; exit 2; }
	$(ORCHESTRA) deploy $(name) --image $(image) --replicas $(replicas)

get: build
	$(ORCHESTRA) get deployments
	@echo
	$(ORCHESTRA) get pods -o wide

delete: build
	@test -n "$(name)" || { echo "usage: make delete name=NAME" >&2; exit 2; }
	$(ORCHESTRA) delete $(name)

lint: node_modules
	npm run lint

test:
	bash .ci/run
