/** Every instruction family registers its rows in the opcode map when imported. */
import './alu';
import './shift';
import './move';
import './control';
import './string';
import './io';
import './system';
import './x87';
import './x87Arith';
import './x87Move';
import './x87Math';
import './x87Control';
