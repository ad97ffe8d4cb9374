// lerna's changelog preset (lerna.json command.version.changelogPreset): conventional-changelog-angular, which
// lerna uses by default, with two changes to its commit header parsing:
// - `type(scope)!: subject` is a breaking change (conventionalcommits.org); angular alone does not parse the `!`,
//   so such a commit would be neither listed nor counted: only a `BREAKING CHANGE:` footer would count;
// - the scope stops at the first `)`, so a subject that itself contains "(...)" keeps its scope.
// CommonJS because lerna require()s presets; in the release dry run's clone (no node_modules) NODE_PATH finds
// conventional-changelog-angular in this checkout.
'use strict';

const angular = require('conventional-changelog-angular');

module.exports = async function createPreset() {
  const preset = await angular();
  // parserOpts is one object shared by preset.conventionalChangelog and preset.recommendedBumpOpts.
  Object.assign(preset.parserOpts, {
    headerPattern: /^(\w*)(?:\(([^()]*)\))?!?: (.*)$/,
    breakingHeaderPattern: /^(\w*)(?:\(([^()]*)\))?!: (.*)$/,
  });
  return preset;
};
