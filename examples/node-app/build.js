// The build script (`npm run build`, which tug's Node.js buildpack runs): it uses a
// devDependency, which the slug no longer has once the build pruned them.
import {mkdirSync, writeFileSync} from 'node:fs'
import helper from 'build-helper'

mkdirSync('public', {recursive: true})
writeFileSync('public/built.txt', helper(`NODE_ENV=${process.env.NODE_ENV}`))
console.log('wrote public/built.txt')
